import { Command, Flags } from '@oclif/core';
import { parseBytes, parseDuration, UsageError } from '../src/cli/units.js';
import { DRIVER_NAMES } from '../src/drivers/index.js';
import { onStopSignals } from '../src/tools/stop-signals.js';
import { parseFaultSpec } from '../src/tools/verify/faults.js';
import { GUARANTEES, type Guarantee } from '../src/tools/verify/history.js';
import { isVerifySetupError, runVerifyLoss } from '../src/tools/verify/service.js';
import { attachVerifyOutput, chooseVerifyOutput } from '../src/ui/verify/output.js';
import { reportSummary } from '../src/ui/verify/report-text.js';

export default class VerifyLoss extends Command {
  static override summary =
    'Send sequence-stamped messages through a queue, inject faults, check nothing was lost.';
  static override description =
    `Producers stamp every message (producer, sequence, intended send time); every send, ack,
read, commit, assignment and fault goes to a history (JSON Lines); after the run a fresh consumer reads every
partition to its end and the checker (also: mq check HISTORY) reports lost, duplicated, redelivered and reordered
messages, with the fault nearest to each. Without --brokers an embedded mq serve is started (--broker-flush).
Faults: --fault KIND[:EVERY][,count=N][,after=DUR][,for=DUR] with KIND one of broker-kill, broker-pause,
broker-restart, consumer-crash, produce-response-drop, produce-error.
Ctrl-C or SIGTERM stops the producers; the group catches up, the final read runs (10 s at most each) and
what was sent is checked; a second signal exits at once.
Exit codes: 0 valid, 1 anomalies under --expect, 2 could not run, 3 stopped early (no anomalies in what ran).`;

  static override examples = [
    '<%= config.bin %> verify-loss --messages 20000 --producers 2 --consumers 2 --partitions 4 --fault broker-kill:2s',
    '<%= config.bin %> verify-loss --broker-flush async:1000 --fault broker-kill,after=3s',
    '<%= config.bin %> verify-loss --commit before --fault consumer-crash:3s --expect at-most-once',
  ];

  static override flags = {
    messages: Flags.integer({
      char: 'n',
      description: 'messages to send (all producers)',
      default: 10_000,
      min: 1,
    }),
    producers: Flags.integer({ description: 'producer threads', default: 1, min: 1 }),
    consumers: Flags.integer({
      description: 'consumer threads in one group (0 = only the final read)',
      default: 1,
      min: 0,
    }),
    partitions: Flags.integer({ char: 'p', description: 'partitions of the topic', default: 4, min: 1 }),
    keys: Flags.integer({ description: 'distinct message keys (0 = unkeyed)', default: 0, min: 0 }),
    rate: Flags.string({ char: 'r', description: 'total msg/s (1000, 5k) or max', default: '1000' }),
    'message-size': Flags.string({ description: 'payload bytes', default: '100' }),
    brokers: Flags.string({
      char: 'b',
      description: 'bootstrap servers host:port[,...]; default: an embedded broker',
    }),
    driver: Flags.string({ description: 'client driver', options: DRIVER_NAMES, default: 'mq' }),
    'broker-flush': Flags.string({
      description: 'flush policy of the embedded broker: sync, os, async:<ms>',
      default: 'sync',
    }),
    fault: Flags.string({
      char: 'f',
      multiple: true,
      description: 'fault to inject, e.g. broker-kill:2s (repeatable)',
    }),
    idempotence: Flags.boolean({ description: 'idempotent producers', allowNo: true, default: true }),
    acks: Flags.string({ description: 'all | 1 | 0', default: 'all' }),
    'max-in-flight': Flags.integer({ description: 'produce requests in flight per connection', min: 1 }),
    'batch-size': Flags.string({ description: 'producer batch bytes' }),
    linger: Flags.string({ description: 'producer linger, e.g. 5ms' }),
    'request-timeout': Flags.string({ description: 'client request timeout, e.g. 2s' }),
    commit: Flags.string({
      description: 'consumers commit after processing (at-least-once) or before (at-most-once)',
      options: ['after', 'before'],
      default: 'after',
    }),
    expect: Flags.string({
      options: [...GUARANTEES],
      description: 'declared delivery guarantee',
      default: 'at-least-once',
    }),
    history: Flags.string({ char: 'o', description: 'history file to write (default: a temp file)' }),
    'session-timeout': Flags.string({ description: 'consumer group session timeout', default: '6s' }),
    'catch-up-timeout': Flags.string({
      description: 'how long consumers may catch up after producing',
      default: '60s',
    }),
    'drain-timeout': Flags.string({ description: 'how long the final read may take', default: '30s' }),
    interval: Flags.string({ description: 'progress interval', default: '1s' }),
    examples: Flags.integer({ description: 'examples shown per anomaly kind', default: 5, min: 0 }),
    all: Flags.boolean({ description: 'every example' }),
    json: Flags.boolean({ description: 'print only the report JSON on stdout (progress on stderr)' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(VerifyLoss);
    try {
      const mode = chooseVerifyOutput(flags.json, Boolean(process.stdout.isTTY));
      let output: { finish: () => void } | null = null;
      const dur = (v: string | undefined, what: string) =>
        v === undefined ? undefined : parseDuration(v, what);
      const outcome = await runVerifyLoss({
        driver: flags.driver,
        brokers: flags.brokers,
        brokerFlush: flags['broker-flush'],
        messages: flags.messages,
        producers: flags.producers,
        consumers: flags.consumers,
        partitions: flags.partitions,
        keys: flags.keys,
        rate: parseRate(flags.rate),
        messageSize: parseBytes(flags['message-size'], '--message-size'),
        acks: parseAcks(flags.acks),
        idempotent: flags.idempotence,
        maxInFlight: flags['max-in-flight'],
        batchSize: flags['batch-size'] ? parseBytes(flags['batch-size'], '--batch-size') : undefined,
        lingerMs: dur(flags.linger, '--linger'),
        requestTimeoutMs: dur(flags['request-timeout'], '--request-timeout'),
        consumerMode: flags.commit === 'before' ? 'at-most-once' : 'at-least-once',
        expect: flags.expect as Guarantee,
        faults: (flags.fault ?? []).map(parseFaultSpec),
        historyPath: flags.history,
        sessionTimeoutMs: dur(flags['session-timeout'], '--session-timeout'),
        catchUpTimeoutMs: dur(flags['catch-up-timeout'], '--catch-up-timeout'),
        drainTimeoutMs: dur(flags['drain-timeout'], '--drain-timeout'),
        intervalMs: dur(flags.interval, '--interval'),
        examples: flags.all ? Number.POSITIVE_INFINITY : flags.examples,
        onLog: (line) => {
          if (mode !== 'live' || output === null) process.stderr.write(`${line}\n`);
        },
        onRunner: (runner) => {
          onStopSignals(() => runner.stop());
          output = attachVerifyOutput(runner, mode, process);
        },
      }).finally(() => (output as { finish: () => void } | null)?.finish());
      if (flags.json)
        process.stdout.write(
          `${JSON.stringify({ ...outcome.report, history: outcome.historyPath, ...(outcome.stopped ? { stopped: true } : {}) }, null, 2)}\n`,
        );
      else {
        if (outcome.stopped)
          process.stdout.write('\nstopped early: the check covers the messages sent before the stop\n');
        process.stdout.write(`\n${reportSummary(outcome.report, outcome.historyPath)}\n`);
      }
      if (!outcome.report.valid) this.exit(1);
      if (outcome.stopped) this.exit(3);
    } catch (err) {
      if (err instanceof UsageError || isVerifySetupError(err))
        this.error((err as Error).message, { exit: 2 });
      throw err;
    }
  }
}

function parseRate(v: string): number | null {
  if (v.trim() === 'max') return null;
  const m = /^(\d+(?:\.\d+)?)(k)?$/i.exec(v.trim());
  const n = m ? Number(m[1]) * (m[2] ? 1000 : 1) : Number.NaN;
  if (!(n > 0)) throw new UsageError(`--rate: "${v}" is not a rate (try 1000, 5k, max)`);
  return n;
}

function parseAcks(v: string): -1 | 0 | 1 {
  if (v === 'all' || v === '-1') return -1;
  if (v === '1' || v === '0') return Number(v) as 0 | 1;
  throw new UsageError(`--acks: "${v}" (one of all, 1, 0)`);
}
