import { Command, Flags } from '@oclif/core';
import { brokersFlag } from '../src/cli/flags.js';
import { parseDuration, UsageError } from '../src/cli/units.js';
import { DRIVER_NAMES } from '../src/drivers/index.js';
import { drainOptionsFromFlags } from '../src/tools/drain/cli-options.js';
import { dryRunDrain, isDrainSetupError, runDrain } from '../src/tools/drain/service.js';
import { onStopSignals } from '../src/tools/stop-signals.js';
import { drainSummary, estimateSummary } from '../src/ui/drain/drain-lines.js';
import { attachDrainOutput, chooseDrainOutput } from '../src/ui/drain/drain-output.js';

export default class DrainBacklog extends Command {
  static override summary =
    "Measure a consumer group's backlog and drain it, with progress, ETA and latency histograms.";
  static override description =
    'Reads lag per partition (log end − committed offset), then drains it with --consumers worker ' +
    'threads joined to the group, committing only after processing (at-least-once). It stops when ' +
    'the backlog present at the start is drained (--drain-ratio of it), at --timeout, or on Ctrl-C; ' +
    'messages arriving meanwhile are shown as the arrival rate. Exit codes: 0 drained, 3 stopped ' +
    'with lag left (timeout or Ctrl-C), 1 failures (handler failures without --dlq, a failed ' +
    'consumer), 2 could not run.';

  static override examples = [
    '<%= config.bin %> drain-backlog --topic orders --group billing --consumers 4',
    '<%= config.bin %> drain-backlog -t orders -g billing --work 5ms --max-rate 20k --timeout 10m',
    '<%= config.bin %> drain-backlog -t orders -g billing --handler ./handler.js --dlq orders.dlq --max-retries 5',
    '<%= config.bin %> drain-backlog -t orders -g billing --fanout 4 --consumers 2',
    '<%= config.bin %> drain-backlog -t orders -g billing --consumers 8 --work 2ms --dry-run',
  ];

  static override flags = {
    brokers: brokersFlag,
    driver: Flags.string({ description: 'client driver', options: DRIVER_NAMES, default: 'mq' }),
    topic: Flags.string({ char: 't', description: 'topic to drain', required: true }),
    group: Flags.string({ char: 'g', description: 'consumer group whose lag is drained', required: true }),
    consumers: Flags.integer({ char: 'c', description: 'consumer threads in the group', default: 1 }),
    work: Flags.string({
      description: 'simulated cost per message, e.g. 5ms (waits, like a downstream call)',
    }),
    handler: Flags.string({
      description: 'module exporting handleMessage(message) or handleBatch(messages)',
    }),
    'max-retries': Flags.integer({ description: 'retries of a failing message (or batch)', default: 3 }),
    'retry-backoff': Flags.string({ description: 'wait between retries', default: '10ms' }),
    dlq: Flags.string({ description: 'dead-letter topic for messages that exhaust their retries' }),
    'max-rate': Flags.string({
      description: 'cap on messages/s over all consumers (token bucket), e.g. 20k',
    }),
    burst: Flags.string({
      description: '--max-rate: unused rate kept for after a stall (token bucket size), e.g. 500ms',
      default: '1s',
    }),
    'drain-ratio': Flags.string({
      description: 'fraction of the starting backlog that counts as drained',
      default: '1',
    }),
    timeout: Flags.string({
      description:
        'stop after draining this long (from when the consumers joined) with what is left (exit 3), e.g. 10m',
    }),
    fanout: Flags.integer({
      description: 're-publish into a temporary topic with K× partitions, drained by K× consumers',
      default: 1,
    }),
    dispatchers: Flags.integer({ description: 'fan-out dispatcher threads', default: 1 }),
    'produce-rate': Flags.string({ description: 'keep producing at this rate during the drain (a drill)' }),
    'dry-run': Flags.boolean({
      description: 'report lag, arrival rate and the estimated drain time; consume nothing',
    }),
    sample: Flags.string({
      description: '--dry-run: how long to sample arrivals and read speed',
      default: '2s',
    }),
    interval: Flags.string({ description: 'progress interval', default: '1s' }),
    json: Flags.boolean({ description: 'print only the result JSON on stdout (progress on stderr)' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(DrainBacklog);
    try {
      const options = drainOptionsFromFlags(flags);
      if (flags['dry-run']) {
        const estimate = await dryRunDrain(options, parseDuration(flags.sample, '--sample'));
        this.log(flags.json ? JSON.stringify(estimate, null, 2) : estimateSummary(estimate));
        return;
      }
      const mode = chooseDrainOutput(flags.json, Boolean(process.stdout.isTTY));
      let output: { finish: () => void } | null = null;
      const result = await runDrain(options, {
        onLog: (line) => process.stderr.write(`${line}\n`),
        onRunner: (runner) => {
          onStopSignals(() => runner.stop());
          output = attachDrainOutput(runner, mode, process);
        },
      }).finally(() => (output as { finish: () => void } | null)?.finish());
      this.log(flags.json ? JSON.stringify(result, null, 2) : `\n${drainSummary(result)}`);
      if (result.exitCode !== 0) this.exit(result.exitCode);
    } catch (err) {
      if (err instanceof UsageError || isDrainSetupError(err))
        this.error((err as Error).message, { exit: 2 });
      throw err;
    }
  }
}
