/**
 * The bench runner: sets up topics, runs producer and consumer workers, collects their reports
 * every interval, and emits events (`start`, `phase`, `tick`, `step`, `done`) that the UI renders.
 *
 * Timeline (µs on the clock of metrics/clock.ts): the schedule starts at t0 (shortly after every
 * worker is ready); warm-up runs to W = t0 + warmup, measurement to E = W + duration; then the
 * producers stop (in-flight sends settle), and the consumers drain until they have received
 * every acknowledged message once per subscription, or the drain timeout passes. Intervals are
 * aligned to t0 with an extra boundary at W, so no interval straddles the measurement start.
 * In search mode the measurement is a series of rate steps (rate-search.ts) instead.
 */

import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDriver } from '../../drivers/index.js';
import { nowMicros } from '../../metrics/clock.js';
import { encodeHistogram } from '../../metrics/histogram.js';
import { IntervalAccumulator, type IntervalStats, type Phase, type Totals } from './intervals.js';
import type { WorkerReport } from './messages.js';
import { RateSearch, type SearchStep } from './rate-search.js';
import { checkDriver, runWarnings } from './run-checks.js';
import { type BenchWorkerPool, createWorkerPool, type ThreadMode, type WorkerHandle } from './worker-pool.js';
import type { Workload } from './workload.js';

export interface BenchRunOptions {
  workload: Workload;
  driver: string;
  brokers: string;
  intervalMs?: number;
  threads?: ThreadMode;
  drainTimeoutMs?: number;
  /** Length of one rate-search step (its first third settles, the rest is measured). */
  searchStepMs?: number;
  keepTopics?: boolean;
  topicPrefix?: string;
}

export interface BenchStartInfo {
  topics: string[];
  producers: number;
  consumers: number;
  warmupSec: number;
  durationSec: number;
  targetRate: number | null;
}

export interface BenchRun {
  startedAt: string;
  topics: string[];
  intervals: IntervalStats[];
  totals: Totals;
  /** Counters over the measurement period only, and its length. */
  measured: {
    seconds: number;
    acked: number;
    errors: number;
    bytesAcked: number;
    received: number;
    bytesReceived: number;
  };
  histograms: { publishLatency: string; publishDelay: string; endToEnd: string };
  search?: { maxSustainableRate: number; steps: SearchStep[] };
  warnings: string[];
}

export interface BenchEvents {
  start: [BenchStartInfo];
  phase: [Phase];
  tick: [IntervalStats];
  step: [SearchStep];
  log: [string];
  done: [BenchRun];
}

/** The workload cannot be run against this driver or broker; nothing was measured. */
export class BenchSetupError extends Error {
  override name = 'BenchSetupError';
}

export class BenchRunner extends EventEmitter<BenchEvents> {
  private readonly o: Required<Omit<BenchRunOptions, 'workload' | 'driver' | 'brokers'>>;
  private readonly acc: IntervalAccumulator;
  private readonly intervals: IntervalStats[] = [];
  private handles: WorkerHandle[] = [];
  private t0 = 0;
  private lastTickMicros = 0;
  private targetRate: number | null = null;
  /** Set by stop(): the current phase ends at its next collection and the run winds down. */
  private readonly stopping = new AbortController();

  constructor(private readonly opts: BenchRunOptions) {
    super();
    this.o = {
      intervalMs: opts.intervalMs ?? 1000,
      threads: opts.threads ?? 'threads',
      drainTimeoutMs: opts.drainTimeoutMs ?? 30_000,
      searchStepMs: opts.searchStepMs ?? 6000,
      keepTopics: opts.keepTopics ?? false,
      topicPrefix: opts.topicPrefix ?? 'mq-bench',
    };
    this.acc = new IntervalAccumulator(opts.workload.subscriptionsPerTopic);
  }

  /**
   * Ends the run early (Ctrl-C): warm-up or measurement stops now, producers stop, consumers
   * drain as usual, and the result covers what was measured. Idempotent.
   */
  stop(): void {
    if (!this.stopping.signal.aborted) {
      this.emit('log', 'stopping early: finishing the current interval, then draining');
      this.stopping.abort();
    }
  }

  async run(): Promise<BenchRun> {
    const w = this.opts.workload;
    if (this.opts.driver === 'memory' && this.o.threads === 'threads') {
      throw new BenchSetupError(
        'the memory driver keeps its queue in one thread: it runs only inline (in tests)',
      );
    }
    const driver = createDriver(this.opts.driver, { brokers: this.opts.brokers, clientId: 'mq-bench' });
    checkDriver(driver, w);
    const runId = randomBytes(3).toString('hex');
    const topics = Array.from({ length: w.topics }, (_, i) => `${this.o.topicPrefix}-${runId}-${i}`);
    const producers = w.topics * w.producersPerTopic;
    const consumers = w.topics * w.subscriptionsPerTopic * w.consumerPerSubscription;
    let pool: BenchWorkerPool | null = null;
    try {
      for (const t of topics) {
        await driver.admin.createTopic(t, w.partitionsPerTopic).catch((err: Error) => {
          throw new BenchSetupError(
            `cannot create topic ${t} at ${this.opts.brokers}: ${err.message} (check --brokers, or omit it to bench an embedded broker)`,
          );
        });
      }
      pool = createWorkerPool(this.o.threads, producers + consumers);
      const startedAt = new Date().toISOString();
      await this.startWorkers(pool, topics, driver.capabilities.consumerGroups, runId);
      const rate = w.rate;
      this.targetRate =
        rate.mode === 'fixed' ? rate.perSecond : rate.mode === 'search' ? rate.startRate : null;
      this.emit('start', {
        topics,
        producers,
        consumers,
        warmupSec: w.warmupMs / 1000,
        durationSec: w.durationMs / 1000,
        targetRate: this.targetRate,
      });
      const warnings: string[] = [];
      let search: BenchRun['search'];
      const W = await this.startSchedule(producers);
      const atMeasureStart = this.acc.totals;
      if (rate.mode === 'search') {
        const s = new RateSearch(rate);
        await this.searchSteps(s, producers, W + w.durationMs * 1000);
        search = { maxSustainableRate: s.best, steps: s.steps };
        if (s.best === 0) warnings.push('no rate tried was sustainable');
      } else {
        this.emit('phase', 'measure');
        await this.tickUntil(W + w.durationMs * 1000, 'measure');
      }
      const measureEnd = this.lastTickMicros;
      const atMeasureEnd = this.acc.totals;
      await this.finish(consumers > 0, w.subscriptionsPerTopic);
      const totals = this.acc.totals;
      warnings.push(...runWarnings(w, this.intervals, totals, consumers > 0));
      const measured = {
        seconds: Math.max(0, (measureEnd - W) / 1e6),
        acked: atMeasureEnd.acked - atMeasureStart.acked,
        errors: atMeasureEnd.errors - atMeasureStart.errors,
        bytesAcked: atMeasureEnd.bytesAcked - atMeasureStart.bytesAcked,
        received: atMeasureEnd.received - atMeasureStart.received,
        bytesReceived: atMeasureEnd.bytesReceived - atMeasureStart.bytesReceived,
      };
      const agg = this.acc.aggregate;
      const run: BenchRun = {
        startedAt,
        topics,
        intervals: this.intervals,
        totals,
        measured,
        histograms: {
          publishLatency: encodeHistogram(agg.publishLatency),
          publishDelay: encodeHistogram(agg.publishDelay),
          endToEnd: encodeHistogram(agg.endToEnd),
        },
        search,
        warnings,
      };
      this.emit('done', run);
      return run;
    } finally {
      await Promise.allSettled(this.handles.map((h) => h.stop()));
      await pool?.close().catch(() => {});
      if (!this.o.keepTopics) {
        for (const t of topics) await driver.admin.deleteTopic(t).catch(() => {});
      }
      await driver.close().catch(() => {});
      this.acc.destroy();
    }
  }

  private async startWorkers(
    pool: BenchWorkerPool,
    topics: string[],
    groups: boolean,
    runId: string,
  ): Promise<void> {
    const w = this.opts.workload;
    const spec = { name: this.opts.driver, options: { brokers: this.opts.brokers, clientId: 'mq-bench' } };
    const settings = {
      acks: w.producer.acks,
      batchSize: w.producer.batchSize,
      lingerMs: w.producer.lingerMs,
      compression: w.producer.compression,
      idempotent: w.producer.idempotence,
      maxInFlight: w.producer.maxInFlight,
    };
    const maxChunk = Math.max(1, Math.min(2000, Math.floor((1 << 20) / (w.messageSize + 64))));
    // Unsettled messages per producer: enough to keep the pipeline full at max rate (4 MiB
    // measured no slower than 32 MiB) without queueing seconds of latency behind it.
    const maxPending = Math.max(maxChunk * 4, Math.floor((4 << 20) / (w.messageSize + 64)));
    let id = 0;
    for (const topic of topics) {
      for (let s = 0; s < w.subscriptionsPerTopic; s++) {
        for (let c = 0; c < w.consumerPerSubscription; c++) {
          const group = groups
            ? `${this.o.topicPrefix}-${runId}-${topic.split('-').pop()}-sub-${s}`
            : undefined;
          this.handles.push(pool.spawn('consumer', { id: id++, driver: spec, topic, group }));
        }
      }
    }
    // Consumers first: they must be assigned before anything is produced.
    await this.allReady();
    for (const topic of topics) {
      for (let p = 0; p < w.producersPerTopic; p++) {
        this.handles.push(
          pool.spawn('producer', {
            id: id++,
            driver: spec,
            topic,
            partitions: w.partitionsPerTopic,
            settings,
            messageSize: w.messageSize,
            payloadFile: w.payloadFile,
            keyDistributor: w.keyDistributor,
            maxChunk,
            maxPending,
          }),
        );
      }
    }
    await this.allReady();
  }

  private async allReady(): Promise<void> {
    try {
      await Promise.all(this.handles.map((h) => h.ready));
    } catch (err) {
      throw new BenchSetupError((err as Error).message);
    }
  }

  /** Starts every producer's schedule at t0; returns W (the measurement start) in µs. */
  private async startSchedule(producers: number): Promise<number> {
    const w = this.opts.workload;
    this.t0 = nowMicros() + 20_000;
    this.lastTickMicros = this.t0;
    const W = this.t0 + w.warmupMs * 1000;
    const perProducer = this.targetRate === null ? null : this.targetRate / producers;
    for (const h of this.handles)
      h.send({ type: 'start', atMicros: this.t0, rate: perProducer, measureFromMicros: W });
    if (w.warmupMs > 0) {
      this.emit('phase', 'warmup');
      await this.tickUntil(W, 'warmup');
    } else {
      await sleep(Math.max(0, (this.t0 - nowMicros()) / 1000));
    }
    return W;
  }

  /** Collects at every interval boundary (aligned to t0) up to and including `end`. */
  private async tickUntil(end: number, phase: Phase): Promise<void> {
    const step = this.o.intervalMs * 1000;
    while (this.lastTickMicros < end - 1 && !this.stopping.signal.aborted) {
      const next = Math.min(end, this.t0 + (Math.floor((this.lastTickMicros - this.t0) / step) + 1) * step);
      const signal = this.stopping.signal;
      await sleep(Math.max(0, (next - nowMicros()) / 1000), undefined, { signal }).catch(() => {});
      await this.collect(
        phase,
        this.handles.map((h) => h.report()),
      );
    }
  }

  private async collect(phase: Phase, reports: Promise<WorkerReport>[]): Promise<IntervalStats> {
    const got = await Promise.all(reports);
    const now = nowMicros();
    const stats = this.acc.add(got, {
      phase,
      startSec: (this.lastTickMicros - this.t0) / 1e6,
      endSec: (now - this.t0) / 1e6,
      targetRate: this.targetRate,
    });
    this.lastTickMicros = now;
    this.intervals.push(stats);
    this.emit('tick', stats);
    return stats;
  }

  private async searchSteps(s: RateSearch, producers: number, budgetEnd: number): Promise<void> {
    while (
      !s.done &&
      !this.stopping.signal.aborted &&
      nowMicros() + this.o.searchStepMs * 1000 <= budgetEnd
    ) {
      const rate = s.next();
      this.targetRate = rate;
      const settleEnd = nowMicros() + (this.o.searchStepMs * 1000) / 3;
      for (const h of this.handles) {
        if (h.kind === 'producer')
          h.send({ type: 'rate', rate: rate / producers, measureFromMicros: settleEnd });
        else h.send({ type: 'measure-from', micros: settleEnd });
      }
      await this.tickUntil(settleEnd, 'warmup');
      const from = this.intervals.length;
      const before = this.acc.totals;
      const beforeBacklog = this.intervals.at(-1)?.backlog ?? 0;
      this.emit('phase', 'measure');
      await this.tickUntil(settleEnd + (this.o.searchStepMs * 1000 * 2) / 3, 'measure');
      if (this.stopping.signal.aborted) break;
      const window = this.intervals.slice(from);
      const secs = window.reduce((a, i) => a + (i.endSec - i.startSec), 0);
      const step = s.record({
        achievedRate: (this.acc.totals.acked - before.acked) / Math.max(secs, 1e-6),
        backlogStart: beforeBacklog,
        backlogEnd: window.at(-1)?.backlog ?? beforeBacklog,
        publishDelayP99Micros: Math.max(0, ...window.map((i) => i.publishDelay.p99)),
      });
      this.emit('step', step);
    }
  }

  /** Stops producers, drains consumers, stops consumers; every final report is collected. */
  private async finish(hasConsumers: boolean, subscriptions: number): Promise<void> {
    this.emit('phase', 'drain');
    const producers = this.handles.filter((h) => h.kind === 'producer');
    const consumers = this.handles.filter((h) => h.kind === 'consumer');
    await Promise.all(producers.map((h) => h.stop()));
    const deadline = nowMicros() + this.o.drainTimeoutMs * 1000;
    const poll = Math.min(this.o.intervalMs, 250) * 1000;
    for (;;) {
      const stats = await this.collect(
        'drain',
        this.handles.map((h) => h.report()),
      );
      const t = stats.totals;
      if (!hasConsumers || t.received >= t.acked * subscriptions || nowMicros() >= deadline) break;
      await sleep(poll / 1000);
    }
    await Promise.all(consumers.map((h) => h.stop()));
    await this.collect(
      'drain',
      this.handles.map((h) => h.report()),
    );
  }
}
