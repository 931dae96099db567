/**
 * `mq verify-loss` as a service: options in, the checker's report out.
 *
 * Without `brokers` it starts an embedded `mq serve` with the chosen flush policy (and removes it
 * afterwards unless `keepBroker`). Produce faults need a proxy in front of the broker, which then
 * advertises the proxy's port so every client goes through it: tools/fault-proxy.ts drops
 * responses, produce-error-proxy.ts fails requests (both, chained, when both are asked for).
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { Acks } from '../../drivers/driver.js';
import {
  DriverCapabilityError,
  driverCapabilities,
  requireCapabilities,
  UnknownDriverError,
} from '../../drivers/index.js';
import { EmbeddedBroker } from '../embedded-broker.js';
import { FaultProxy } from '../fault-proxy.js';
import type { CheckReport } from './checker/report.js';
import { type FaultSpec, needsBroker, needsProxy } from './faults.js';
import type { ConsumerMode, Guarantee } from './history.js';
import { ProduceErrorProxy } from './produce-error-proxy.js';
import { VerifyRunner, VerifySetupError } from './runner.js';
import { type ThreadMode, VerifyWorkerError } from './worker-pool.js';

export interface VerifyLossOptions {
  driver?: string;
  /** Bootstrap servers of a broker to test; none = an embedded broker. */
  brokers?: string;
  /** Flush policy of the embedded broker (default sync). */
  brokerFlush?: string;
  /** Leave the embedded broker running and hand it over in the outcome (tests read its log). */
  keepBroker?: boolean;
  messages: number;
  producers?: number;
  consumers?: number;
  partitions?: number;
  keys?: number;
  /** Total msg/s; null = as fast as acknowledgements allow (default 1000). */
  rate?: number | null;
  messageSize?: number;
  acks?: Acks;
  idempotent?: boolean;
  maxInFlight?: number;
  batchSize?: number;
  lingerMs?: number;
  requestTimeoutMs?: number;
  consumerMode?: ConsumerMode;
  expect?: Guarantee;
  faults?: readonly FaultSpec[];
  historyPath?: string;
  sessionTimeoutMs?: number;
  catchUpTimeoutMs?: number;
  drainTimeoutMs?: number;
  intervalMs?: number;
  examples?: number;
  threads?: ThreadMode;
  onRunner?: (runner: VerifyRunner) => void;
  onLog?: (line: string) => void;
}

export interface VerifyOutcome {
  report: CheckReport;
  /** The run was ended early (runner.stop(): Ctrl-C, SIGTERM); the report covers what was sent. */
  stopped: boolean;
  historyPath: string;
  topic: string;
  bootstrap: string;
  /** With keepBroker: the embedded broker, still running (and any fault proxy in front of it). */
  broker: EmbeddedBroker | null;
  /** With keepBroker: stops the broker and the proxies. */
  close(): Promise<void>;
}

/** Errors that mean "could not run" (exit 2): setup, or a worker that could not go on. */
export function isVerifySetupError(err: unknown): boolean {
  return (
    err instanceof VerifySetupError ||
    err instanceof VerifyWorkerError ||
    err instanceof DriverCapabilityError ||
    err instanceof UnknownDriverError
  );
}

export async function runVerifyLoss(opts: VerifyLossOptions): Promise<VerifyOutcome> {
  const log = opts.onLog ?? (() => {});
  const driver = opts.driver ?? 'mq';
  const faults = opts.faults ?? [];
  const consumers = opts.consumers ?? 1;
  checkOptions(driver, opts, faults, consumers);
  const id = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const historyPath = opts.historyPath ?? path.join(os.tmpdir(), `mq-verify-${id}.jsonl`);
  const partitions = opts.partitions ?? 4;
  let broker: EmbeddedBroker | null = null;
  let dropper: FaultProxy | null = null;
  let failer: ProduceErrorProxy | null = null;
  const flush = opts.brokerFlush ?? 'sync';
  let dropArmed = 0;
  try {
    let bootstrap = opts.brokers ?? (driver === 'memory' ? `verify-${id}` : '');
    if (!opts.brokers && driver !== 'memory') {
      const extraArgs: string[] = [];
      if (faults.some(needsProxy)) {
        if (faults.some((f) => f.kind === 'produce-error')) failer = new ProduceErrorProxy(0);
        if (faults.some((f) => f.kind === 'produce-response-drop'))
          dropper = new FaultProxy({
            upstreamPort: 0,
            dropResponse: (r) => {
              if (r.apiKey !== 0 || dropArmed === 0) return false;
              dropArmed--;
              return true;
            },
          });
        const front = dropper ? await dropper.listen() : await failer!.listen();
        if (dropper && failer) dropper.retarget(await failer.listen());
        extraArgs.push('--advertised-port', String(front));
      }
      broker = await EmbeddedBroker.start({ flush, defaultPartitions: partitions, extraArgs }).catch(
        (err: Error) => {
          throw new VerifySetupError(`could not start the embedded broker: ${err.message}`);
        },
      );
      if (failer) failer.retarget(broker.port);
      else dropper?.retarget(broker.port);
      bootstrap = dropper
        ? `127.0.0.1:${dropper.port}`
        : failer
          ? `127.0.0.1:${failer.port}`
          : broker.bootstrap;
      log(`embedded broker on ${broker.bootstrap} (flush ${flush}, data dir ${broker.dataDir})`);
      if (dropper || failer) log(`clients go through a fault proxy on ${bootstrap}`);
    }
    const runner = new VerifyRunner({
      driver,
      bootstrap,
      broker,
      proxy: {
        dropNextProduceResponse: () => {
          dropArmed++;
        },
        failNextProduce: () => failer?.failNextProduce(),
      },
      flush: broker ? flush : null,
      topic: `verify-${id}`,
      group: `verify-${id}`,
      partitions,
      producers: opts.producers ?? 1,
      consumers,
      messages: opts.messages,
      rate: opts.rate === undefined ? 1000 : opts.rate,
      keys: opts.keys ?? 0,
      messageSize: opts.messageSize ?? 100,
      settings: {
        acks: opts.acks ?? -1,
        idempotent: opts.idempotent ?? false,
        maxInFlight: opts.maxInFlight,
        batchSize: opts.batchSize,
        lingerMs: opts.lingerMs,
      },
      requestTimeoutMs: opts.requestTimeoutMs,
      consumerMode: opts.consumerMode ?? 'at-least-once',
      expect: opts.expect ?? 'at-least-once',
      faults,
      historyPath,
      sessionTimeoutMs: opts.sessionTimeoutMs ?? 6000,
      catchUpTimeoutMs: opts.catchUpTimeoutMs ?? 60_000,
      drainTimeoutMs: opts.drainTimeoutMs ?? 30_000,
      intervalMs: opts.intervalMs ?? 1000,
      examples: opts.examples ?? 5,
      threads: opts.threads ?? (driver === 'memory' ? 'inline' : 'threads'),
    });
    runner.on('log', log);
    opts.onRunner?.(runner);
    const report = await runner.run();
    log(`history: ${historyPath}`);
    const outcome = { report, stopped: runner.stopped, historyPath, topic: `verify-${id}`, bootstrap };
    if (!opts.keepBroker) return { ...outcome, broker: null, close: async () => {} };
    const kept = { ...outcome, broker, close: teardown(broker, dropper, failer) };
    broker = dropper = failer = null;
    return kept;
  } finally {
    await teardown(broker, dropper, failer)();
  }
}

function teardown(broker: EmbeddedBroker | null, ...proxies: ({ close(): Promise<void> } | null)[]) {
  return async () => {
    for (const p of proxies) await p?.close();
    // The embedded broker's data is thrown away: no need to wait for a clean shutdown.
    await broker?.kill().catch(() => {});
    await broker?.close();
  };
}

function checkOptions(driver: string, o: VerifyLossOptions, faults: readonly FaultSpec[], consumers: number) {
  const caps = { name: driver, capabilities: driverCapabilities(driver) };
  requireCapabilities(
    caps,
    {
      idempotence: o.idempotent,
      acks: o.acks,
      maxInFlight: o.maxInFlight !== undefined,
      consumerGroups: consumers > 1,
    },
    'verify-loss',
  );
  if (!(o.messages > 0)) throw new VerifySetupError('--messages must be at least 1');
  if (driver !== 'mq' && o.consumerMode === 'at-most-once')
    throw new VerifySetupError(
      `--commit before (commit, then process) needs the mq driver; driver "${driver}" acknowledges each batch after it was handled`,
    );
  if (o.brokers && faults.some((f) => needsBroker(f) || needsProxy(f)))
    throw new VerifySetupError(
      `${faults.find((f) => needsBroker(f) || needsProxy(f))!.kind} needs the embedded broker: drop --brokers`,
    );
  if (driver === 'memory' && faults.some((f) => f.kind !== 'consumer-crash'))
    throw new VerifySetupError('the memory driver has no broker to break: only consumer-crash applies');
  if (driver === 'memory' && o.threads === 'threads')
    throw new VerifySetupError('the memory driver runs in one thread: use inline workers');
  if (faults.some((f) => f.kind === 'consumer-crash') && consumers === 0)
    throw new VerifySetupError('consumer-crash needs --consumers 1 or more');
}
