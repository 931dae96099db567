/**
 * The verify-loss run: topic → consumers → producers and faults → catch-up → final drain →
 * check. Workers send their history events here; this thread is the one writer of the history
 * and feeds the same events to the live checker, so the verdict at the end is the checker's
 * answer on exactly the file `mq check` would read.
 *
 * Events for the UI: `start`, `tick` (every interval: counts so far), `fault` (each fault's start
 * and end, as recorded in the history), `log`, `done` (the report).
 *
 * Phases: produce (producers send their messages while faults are injected; faults with a count
 * are all injected before this phase ends) → catch-up (the group processes up to every log end,
 * or the catch-up timeout) → consumers stop → drain → check.
 */
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDriver, type DriverSpec, type ProducerSettings } from '../../drivers/index.js';
import type { EmbeddedBroker } from '../embedded-broker.js';
import { type LiveCounts, LossChecker } from './checker/checker.js';
import type { CheckReport } from './checker/report.js';
import { FaultInjector } from './fault-injector.js';
import type { FaultSpec } from './faults.js';
import { finalDrain } from './final-drain.js';
import type { ConsumerMode, FaultEvent, Guarantee } from './history.js';
import { type HistorySink, HistoryWriter, teeSinks } from './history-file.js';
import type { ConsumerTask } from './worker-messages.js';
import {
  createVerifyPool,
  type ThreadMode,
  type VerifyWorkerPool,
  type WorkerHandle,
} from './worker-pool.js';

export interface VerifyRunOptions {
  driver: string;
  /** Where clients connect (the embedded broker, a proxy in front of it, or --brokers). */
  bootstrap: string;
  broker: EmbeddedBroker | null;
  proxy?: { dropNextProduceResponse?(): void; failNextProduce?(): void };
  /** The embedded broker's flush policy, for the history's meta line. */
  flush: string | null;
  topic: string;
  group: string;
  partitions: number;
  producers: number;
  consumers: number;
  messages: number;
  /** Total msg/s over all producers; null = as fast as acknowledgements allow. */
  rate: number | null;
  keys: number;
  messageSize: number;
  settings: ProducerSettings;
  requestTimeoutMs?: number;
  consumerMode: ConsumerMode;
  expect: Guarantee;
  faults: readonly FaultSpec[];
  historyPath: string;
  sessionTimeoutMs: number;
  catchUpTimeoutMs: number;
  drainTimeoutMs: number;
  intervalMs: number;
  examples: number;
  threads: ThreadMode;
}

export interface VerifyStartInfo {
  topic: string;
  partitions: number;
  producers: number;
  consumers: number;
  messages: number;
  faults: string[];
}

export interface VerifyTick extends LiveCounts {
  elapsedMs: number;
  phase: 'produce' | 'catch-up' | 'drain';
  faults: number;
}

export interface VerifyEvents {
  start: [VerifyStartInfo];
  tick: [VerifyTick];
  fault: [FaultEvent];
  log: [string];
  done: [CheckReport];
}

/** The run could not be set up (exit 2). */
export class VerifySetupError extends Error {
  override name = 'VerifySetupError';
}

export class VerifyRunner extends EventEmitter<VerifyEvents> {
  private phase: VerifyTick['phase'] = 'produce';
  private readonly checker: LossChecker;
  private consumers: WorkerHandle[] = [];
  private crashTurn = 0;
  private generations = new Map<number, number>();
  private producers: WorkerHandle[] = [];
  /** Set by stop(): producers stop, and catch-up and the final read get at most STOPPED_WAIT_MS. */
  private readonly stopping = new AbortController();
  private stoppedAt = 0;

  /** True when stop() ended the run before every message was sent. */
  get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  constructor(private readonly o: VerifyRunOptions) {
    super();
    this.checker = new LossChecker({ expect: o.expect, examples: o.examples });
  }

  /**
   * Ends the run early (Ctrl-C, SIGTERM): producers stop sending (what is in flight settles),
   * repeating faults stop, the group catches up and the final read runs, each for at most
   * STOPPED_WAIT_MS, and the check covers what was sent. Idempotent.
   */
  stop(): void {
    if (this.stopping.signal.aborted) return;
    this.emit('log', 'stopping early: producers stop, then catch-up, the final read and the check');
    this.stoppedAt = Date.now();
    this.stopping.abort();
    for (const p of this.producers) p.send({ type: 'stop' });
  }

  async run(): Promise<CheckReport> {
    const o = this.o;
    const spec: DriverSpec = {
      name: o.driver,
      options: { brokers: o.bootstrap, clientId: 'mq-verify', requestTimeoutMs: o.requestTimeoutMs },
    };
    const driver = createDriver(spec.name, spec.options);
    const offsets = driver.capabilities.offsets;
    try {
      await driver.admin.createTopic(o.topic, o.partitions);
    } catch (err) {
      throw new VerifySetupError(`could not create topic ${o.topic}: ${(err as Error).message}`);
    } finally {
      await driver.close().catch(() => {});
    }
    const writer = await HistoryWriter.create(o.historyPath);
    const history = teeSinks(writer, this.checker);
    const sink: HistorySink = {
      write: (e) => {
        history.write(e);
        if (e.t === 'fault') this.emit('fault', e);
      },
    };
    const runStartMs = Date.now();
    const clock = () => Date.now() - runStartMs;
    sink.write({
      t: 'meta',
      v: 1,
      at: new Date(runStartMs).toISOString(),
      topic: o.topic,
      partitions: o.partitions,
      producers: o.producers,
      consumers: o.consumers,
      keys: o.keys,
      group: o.consumers > 0 ? o.group : null,
      expect: o.expect,
      idempotent: o.settings.idempotent ?? false,
      acks: o.settings.acks ?? -1,
      maxInFlight: o.settings.maxInFlight ?? 5,
      consumerMode: o.consumerMode,
      flush: o.flush,
      driver: o.driver,
      ...(offsets ? {} : { offsets: false }),
    });
    const pool = createVerifyPool(o.threads, o.producers + o.consumers + 2, sink, (m) => this.emit('log', m));
    let ticker: NodeJS.Timeout | null = null;
    let injector: FaultInjector | null = null;
    try {
      const consumerTask = (name: string): Omit<ConsumerTask, 'port'> => ({
        name,
        driver: spec,
        topic: o.topic,
        group: o.group,
        mode: o.consumerMode,
        sessionTimeoutMs: o.sessionTimeoutMs,
        runStartMs,
      });
      this.consumers = Array.from({ length: o.consumers }, (_, i) =>
        pool.spawn('consumer', consumerTask(`c${i}`), `c${i}`),
      );
      await this.ready(this.consumers);
      const producers = (this.producers = Array.from({ length: o.producers }, (_, id) =>
        pool.spawn(
          'producer',
          {
            id,
            driver: spec,
            topic: o.topic,
            partitions: o.partitions,
            count: share(o.messages, o.producers, id),
            rate: o.rate === null ? null : o.rate / o.producers,
            keys: o.keys,
            settings: o.settings,
            messageSize: o.messageSize,
            maxChunk: 100,
            maxPending: 1000,
            runStartMs,
          },
          `p${id}`,
        ),
      ));
      if (this.stopped) for (const p of producers) p.send({ type: 'stop' });
      await this.ready(producers);
      this.emit('start', {
        topic: o.topic,
        partitions: o.partitions,
        producers: o.producers,
        consumers: o.consumers,
        messages: o.messages,
        faults: o.faults.map((f) => f.kind),
      });
      injector = new FaultInjector(
        o.faults,
        {
          broker: o.broker,
          crashConsumer: () => this.crashConsumer(pool, consumerTask, sink, clock),
          dropNextProduceResponse: o.proxy?.dropNextProduceResponse?.bind(o.proxy),
          failNextProduce: o.proxy?.failNextProduce?.bind(o.proxy),
        },
        sink,
        clock,
        (line) => this.emit('log', line),
      );
      const faults = injector;
      ticker = setInterval(() => this.tick(clock(), faults.injected), o.intervalMs);
      injector.start();
      await Promise.all(producers.map((p) => p.done));
      await Promise.race([injector.finiteDone(), aborted(this.stopping.signal)]);
      await injector.stop();
      this.phase = 'catch-up';
      if (o.consumers > 0) await this.catchUp(spec);
      await Promise.all(this.consumers.map((c) => c.stop().catch(() => {})));
      this.phase = 'drain';
      const drain = await finalDrain({
        driver: spec,
        group: offsets ? null : o.group,
        topic: o.topic,
        partitions: o.partitions,
        timeoutMs: this.stopped ? Math.min(o.drainTimeoutMs, STOPPED_WAIT_MS) : o.drainTimeoutMs,
        sink,
        clock,
      });
      if (!drain.reachedEnd) this.emit('log', 'the final drain did not reach every partition end in time');
      sink.write({ t: 'end', ts: clock() });
      this.tick(clock(), faults.injected);
    } finally {
      if (ticker) clearInterval(ticker);
      await injector?.stop();
      for (const c of this.consumers) c.send({ type: 'stop' });
      await pool.close().catch(() => {});
      await writer.close();
    }
    const report = this.checker.finish();
    this.emit('done', report);
    return report;
  }

  private async ready(handles: WorkerHandle[]): Promise<void> {
    try {
      await Promise.all(handles.map((h) => h.ready));
    } catch (err) {
      throw new VerifySetupError((err as Error).message);
    }
  }

  private tick(elapsedMs: number, faults: number): void {
    this.emit('tick', { ...this.checker.live(), elapsedMs, phase: this.phase, faults });
  }

  /**
   * Crashes consumers in turn: records the fault, kills the consumer at its next point between
   * processing and commit, and starts a replacement under a new name (c<i>.<n>).
   */
  private async crashConsumer(
    pool: VerifyWorkerPool,
    task: (name: string) => Omit<ConsumerTask, 'port'>,
    sink: HistorySink,
    clock: () => number,
  ): Promise<string | null> {
    if (this.consumers.length === 0) return null;
    const i = this.crashTurn++ % this.consumers.length;
    const victim = this.consumers[i];
    sink.write({ t: 'fault', ts: clock(), kind: 'consumer-crash', phase: 'start', target: victim.name });
    await victim.crash(3000);
    const gen = (this.generations.get(i) ?? 0) + 1;
    this.generations.set(i, gen);
    const name = `c${i}.${gen}`;
    const replacement = pool.spawn('consumer', task(name), name);
    this.consumers[i] = replacement;
    await Promise.race([replacement.ready.catch(() => {}), sleep(this.o.sessionTimeoutMs * 3)]);
    sink.write({ t: 'fault', ts: clock(), kind: 'consumer-crash', phase: 'end', target: victim.name });
    return victim.name;
  }

  /** Waits until the group has processed up to every partition's log end (or the timeout). */
  private async catchUp(spec: DriverSpec): Promise<void> {
    const started = Date.now();
    const deadline = () =>
      this.stopped
        ? Math.min(started + this.o.catchUpTimeoutMs, Math.max(started, this.stoppedAt) + STOPPED_WAIT_MS)
        : started + this.o.catchUpTimeoutMs;
    const driver = createDriver(spec.name, spec.options);
    try {
      let lastConsumed = -1;
      let quietSince = Date.now();
      while (Date.now() < deadline()) {
        if (driver.capabilities.lag && !driver.capabilities.offsets) {
          // A queue: caught up once nothing waits in the group's queues (unacked are not lag).
          const lag = await driver.admin.lag(this.o.group, this.o.topic).catch(() => null);
          if (lag?.every((p) => p.lag === 0)) return;
        } else if (driver.capabilities.lag) {
          const lag = await driver.admin.lag(this.o.group, this.o.topic).catch(() => null);
          // Read up to the end, and, where the driver keeps the commits, acknowledged up to it:
          // entries a crashed member left unacknowledged are taken over only after a while
          // (Redis' claim-idle), and those are reads the check must see.
          const own = spec.name === 'mq';
          if (
            lag?.every(
              (p) =>
                p.endOffset === 0 ||
                (this.checker.groupReach(p.partition) >= p.endOffset && (own || p.lag === 0)),
            )
          )
            return;
        } else {
          // No log ends to compare with: done when nothing new has been processed for a while.
          const consumed = this.checker.live().consumed;
          if (consumed !== lastConsumed) {
            lastConsumed = consumed;
            quietSince = Date.now();
          } else if (Date.now() - quietSince > 500) return;
        }
        await sleep(100);
      }
      this.emit('log', 'the consumers did not catch up with the log end before the catch-up timeout');
    } finally {
      await driver.close().catch(() => {});
    }
  }
}

/** After stop(): how long catch-up, and then the final read, may still take. */
const STOPPED_WAIT_MS = 10_000;

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) =>
    signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true }),
  );
}

/** Producer i's part of n messages split over k producers. */
function share(n: number, k: number, i: number): number {
  return Math.floor(n / k) + (i < n % k ? 1 : 0);
}
