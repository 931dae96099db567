/**
 * The drain runner: measures the backlog, starts the consumer (and fan-out dispatcher, and
 * arrival producer) threads, watches lag until a stop condition, winds down, and emits events
 * (`start`, `tick`, `log`, `done`) that the UI renders.
 *
 * Stop conditions, checked every poll (≤ 200 ms) against committed offsets:
 * - drained: the fraction `drainRatio` of the backlog present at the start has been committed
 *   (1 = all of it; messages arriving meanwhile neither count nor block), or the lag is 0;
 *   with fan-out, the dispatchers stop there and the drain ends when the temporary topic's group
 *   has committed everything re-published;
 * - timeout, an early stop (stop(), Ctrl-C), or a worker whose consumer failed.
 * Winding down: arrival producers stop first, then dispatchers, then (fan-out, early stop) the
 * fan-out consumers get up to `fanoutGraceMs` to finish what was re-published, then consumers
 * stop and commit. The temporary topic is deleted only when nothing in it is left unprocessed;
 * otherwise it is kept and named in a warning, so an early stop never loses re-published data.
 */
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Driver, PartitionLag } from '../../drivers/driver.js';
import { nowMicros } from '../../metrics/clock.js';
import type { LatencySummary } from '../../metrics/histogram.js';
import { type CollectedInterval, type DrainTotals, ReportCollector } from './collector.js';
import { drainedFraction, type LagSnapshot, liveLag, readLag } from './lag.js';
import { type DrainThreads, startWorkers } from './launch.js';
import type { DrainWorkerReport } from './messages.js';
import type { DrainOptions } from './options.js';
import type { ReadTrace } from './processor.js';
import { etaSeconds, type Rates, RateWindow } from './rates.js';
import type { DrainWorkerPool } from './worker-pool.js';

export type DrainOutcome = 'drained' | 'timeout' | 'stopped' | 'failed';

export interface DrainStartInfo {
  topic: string;
  group: string;
  partitions: number;
  /** Consumer threads (fan-out consumers when fanning out). */
  consumers: number;
  fanout: number;
  tempTopic: string | null;
  startLag: LagSnapshot;
  bytesPerMessage: number | null;
  maxRate: number | null;
  timeoutMs: number | null;
  drainRatio: number;
  produceRate: number | null;
}

export interface DrainTick {
  elapsedSec: number;
  /** When the workers read the counters in `totals` (seconds since draining began). */
  sampledSec: number;
  phase: 'draining' | 'finishing';
  /** Messages left: the live lag, plus what waits in the temporary topic. */
  remaining: number;
  remainingBytes: number | null;
  startLag: number;
  /** Live lag per original partition. */
  partitions: PartitionLag[];
  tempLag: number | null;
  /** Of the starting backlog, committed. */
  drainedFraction: number;
  totals: DrainTotals;
  /** Over the last interval, and over the last 5 s (what the ETA uses). */
  rates: Rates;
  smoothed: Rates;
  etaSec: number | null;
  timeInQueue: LatencySummary;
  processing: LatencySummary;
  lastError?: string;
}

export interface DrainRun {
  info: DrainStartInfo;
  outcome: DrainOutcome;
  reason: string;
  startedAt: string;
  /** Threads started and joined to the group, before draining began. */
  startupSec: number;
  /** From the start of draining to the end of winding down. */
  durationSec: number;
  /** Messages written to the topic over that time. */
  arrived: number;
  /** When the consumers handled their first and last message (µs; 0 when none). */
  activeMicros: { first: number; last: number };
  /** Processed while the consumers were still joining (before durationSec began). */
  beforeStart: { processed: number; bytes: number };
  endLag: LagSnapshot;
  totals: DrainTotals;
  ticks: DrainTick[];
  collector: ReportCollector;
  fanout: { tempTopic: string; partitions: number; left: number; removed: boolean } | null;
  warnings: string[];
}

export interface DrainEvents {
  start: [DrainStartInfo];
  tick: [DrainTick];
  /** With traceReads: messages a consumer thread handled ("consumer-<id>"). */
  reads: [string, ReadTrace[]];
  log: [string];
  done: [DrainRun];
}

export interface RunnerContext {
  driver: Driver;
  info: DrainStartInfo;
  /** Group of the fan-out consumers on the temporary topic. */
  tempGroup: string | null;
}

const POLL_MS = 200;
/** Lag unreadable this long (consecutive polls) ends the drain as failed. */
const LAG_FAILURE_MS = 30_000;

export class DrainRunner extends EventEmitter<DrainEvents> {
  private readonly stopping = new AbortController();
  private readonly collector = new ReportCollector();
  private readonly rates = new RateWindow(5);
  private readonly ticks: DrainTick[] = [];
  /** When draining began: every consumer in the group (µs). Timeout and rates count from here. */
  private t0 = 0;
  private startupSec = 0;
  /** Filled as threads start, so that a failed start still stops those that did. */
  private readonly threads: DrainThreads = { consumers: [], dispatchers: [], producers: [] };
  private crashed: string | null = null;
  private readonly stopAsked = new Set<object>();
  private last: CollectedInterval | null = null;
  private info: DrainStartInfo | null = null;

  constructor(private readonly o: DrainOptions) {
    super();
  }

  /** Ends the drain early (Ctrl-C): it winds down as after a timeout. Idempotent. */
  stop(): void {
    if (!this.stopping.signal.aborted) {
      this.emit('log', 'stopping early: winding down and committing what was processed');
      this.stopping.abort();
    }
  }

  async run(ctx: RunnerContext, pool: DrainWorkerPool | null): Promise<DrainRun> {
    const { info } = ctx;
    this.info = info;
    const startedAt = new Date().toISOString();
    this.t0 = nowMicros();
    this.emit('start', info);
    const warnings: string[] = [];
    let outcome: DrainOutcome = 'drained';
    let reason = 'nothing to drain';
    let fanout: DrainRun['fanout'] = null;
    let drainStartEnds = info.startLag.endSum;
    let atStart = { processed: 0, bytes: 0 };
    try {
      if (pool) {
        await startWorkers(pool, this.o, ctx, this.threads);
        const ready = nowMicros();
        this.startupSec = (ready - this.t0) / 1e6;
        this.t0 = ready;
        const n = this.threads.consumers.length;
        this.emit('log', `${n} consumer threads joined and assigned in ${this.startupSec.toFixed(1)}s`);
        drainStartEnds = (await readLag(ctx.driver.admin, this.o.group, this.o.topic)).endSum;
        // The first consumers in may have processed while the last were joining: not in the rates.
        const c = await this.collect();
        atStart = { processed: c.totals.processed, bytes: c.totals.bytes };
        const t = ((c.sampledAtMicros ?? this.t0) - this.t0) / 1e6;
        this.rates.add({ t, endSum: drainStartEnds, processed: c.totals.processed });
        for (const h of [...this.threads.consumers, ...this.threads.dispatchers]) {
          h.done.then(
            () => {
              if (!this.stopAsked.has(h)) this.crashed ??= `${h.role} ${h.id} ended unexpectedly`;
            },
            (err: Error) => {
              this.crashed ??= err.message;
            },
          );
        }
        [outcome, reason] = await this.watch(ctx);
        fanout = await this.windDown(ctx, outcome, warnings);
      }
      const endLag = await readLag(ctx.driver.admin, this.o.group, this.o.topic);
      const final = this.last ?? this.collector.add(new Map(), 'consumer');
      const run: DrainRun = {
        info,
        outcome,
        reason,
        startedAt,
        durationSec: (nowMicros() - this.t0) / 1e6,
        startupSec: this.startupSec,
        arrived: Math.max(0, endLag.endSum - drainStartEnds),
        beforeStart: atStart,
        activeMicros: { first: final.firstAtMicros, last: final.lastAtMicros },
        endLag,
        totals: final.totals,
        ticks: this.ticks,
        collector: this.collector,
        fanout,
        warnings,
      };
      this.emit('done', run);
      return run;
    } finally {
      this.stopping.abort();
      const { producers, dispatchers, consumers } = this.threads;
      await this.stopAll([...producers, ...dispatchers, ...consumers]);
    }
  }

  /** Polls lag until a stop condition; returns the outcome and why. */
  private async watch(ctx: RunnerContext): Promise<[DrainOutcome, string]> {
    const { info } = ctx;
    const deadline = this.o.timeoutMs === null ? Infinity : this.t0 + this.o.timeoutMs * 1000;
    let nextTick = this.t0 + this.o.intervalMs * 1000;
    let dispatching = this.threads.dispatchers.length > 0;
    let paused = false;
    const maxAhead = (rate: number) => Math.max(20_000, Math.round(rate * 2));
    let failing = 0;
    for (;;) {
      await sleep(POLL_MS, undefined, { signal: this.stopping.signal }).catch(() => {});
      let lag: LagSnapshot;
      let temp: LagSnapshot | null;
      try {
        lag = await readLag(ctx.driver.admin, this.o.group, this.o.topic);
        temp = info.tempTopic ? await readLag(ctx.driver.admin, ctx.tempGroup!, info.tempTopic) : null;
        failing = 0;
      } catch (err) {
        // A broker restart or a slow answer: keep going for a while, as the consumers do.
        if (++failing * POLL_MS >= LAG_FAILURE_MS)
          return ['failed', `cannot read lag: ${(err as Error).message}`];
        if (nowMicros() >= deadline) return ['timeout', `timeout after ${this.o.timeoutMs} ms`];
        if (this.stopping.signal.aborted) return ['stopped', 'stopped early'];
        continue;
      }
      const now = nowMicros();
      if (now >= nextTick) {
        await this.tick(lag, temp, 'draining');
        nextTick += Math.ceil((now - nextTick + 1) / (this.o.intervalMs * 1000)) * this.o.intervalMs * 1000;
      }
      const reached = drainedFraction(info.startLag, lag) >= this.o.drainRatio || lag.total === 0;
      if (dispatching && reached) {
        this.emit('log', 'backlog re-published: stopping the dispatcher, draining the temporary topic');
        await this.stopAll(this.threads.dispatchers);
        dispatching = false;
      }
      if (reached && (!temp || (!dispatching && temp.total === 0))) {
        return ['drained', lag.total === 0 ? 'lag 0' : `drain ratio ${this.o.drainRatio} reached`];
      }
      const fatal = this.crashed ?? this.last?.fatal;
      if (fatal) return ['failed', fatal];
      if (now >= deadline) return ['timeout', `timeout after ${this.o.timeoutMs} ms`];
      if (this.stopping.signal.aborted) return ['stopped', 'stopped early'];
      if (dispatching && temp) {
        const limit = maxAhead(this.rates.rates().drain);
        if (!paused && temp.total > limit) {
          paused = true;
          for (const h of this.threads.dispatchers) h.send({ type: 'pause' });
        } else if (paused && temp.total <= limit / 2) {
          paused = false;
          for (const h of this.threads.dispatchers) h.send({ type: 'resume' });
        }
      }
    }
  }

  /** Stops every thread in order; returns the fan-out outcome (temporary topic removed or kept). */
  private async windDown(
    ctx: RunnerContext,
    outcome: DrainOutcome,
    warnings: string[],
  ): Promise<DrainRun['fanout']> {
    const { info, driver } = ctx;
    this.stopping.abort();
    await this.stopAll(this.threads.producers);
    await this.stopAll(this.threads.dispatchers);
    let temp: LagSnapshot | null = null;
    if (info.tempTopic) {
      const until = nowMicros() + (outcome === 'drained' ? 0 : this.o.fanoutGraceMs * 1000);
      for (;;) {
        temp = await readLag(driver.admin, ctx.tempGroup!, info.tempTopic);
        if (temp.total === 0 || nowMicros() >= until || this.crashed) break;
        await sleep(POLL_MS);
      }
    }
    await this.stopAll(this.threads.consumers);
    const lag = await readLag(driver.admin, this.o.group, this.o.topic);
    if (info.tempTopic) temp = await readLag(driver.admin, ctx.tempGroup!, info.tempTopic);
    await this.tick(lag, temp, 'finishing');
    if (!info.tempTopic || !temp) return null;
    const fanout = {
      tempTopic: info.tempTopic,
      partitions: info.partitions * info.fanout,
      left: temp.total,
      removed: false,
    };
    if (temp.total === 0) {
      await driver.admin.deleteTopic(info.tempTopic).then(
        () => {
          fanout.removed = true;
        },
        (err: Error) => warnings.push(`could not remove ${info.tempTopic}: ${err.message}`),
      );
    } else {
      warnings.push(
        `${temp.total} re-published messages were not processed: kept ${info.tempTopic} (group ${ctx.tempGroup}); drain it, then delete it`,
      );
    }
    return fanout;
  }

  private async stopAll(handles: readonly { stop(): Promise<unknown> }[]): Promise<void> {
    for (const h of handles) this.stopAsked.add(h);
    await Promise.allSettled(handles.map((h) => h.stop()));
  }

  /** Collects every worker's report and emits one tick. */
  /** Every worker's report, folded into the totals. */
  private async collect(): Promise<CollectedInterval> {
    const handles = [...this.threads.consumers, ...this.threads.dispatchers];
    const reports = new Map<string, DrainWorkerReport>();
    await Promise.all(
      handles.map(async (h) => {
        const r = await h.report().catch(() => null);
        if (!r) return;
        reports.set(`${h.role}-${h.id}`, r);
        if (r.reads && r.reads.length > 0) this.emit('reads', `${h.role}-${h.id}`, r.reads);
      }),
    );
    const c = this.collector.add(reports, this.threads.dispatchers.length > 0 ? 'dispatcher' : 'consumer');
    this.last = c;
    return c;
  }

  private async tick(lag: LagSnapshot, temp: LagSnapshot | null, phase: DrainTick['phase']): Promise<void> {
    const c = await this.collect();
    const elapsedSec = (nowMicros() - this.t0) / 1e6;
    const sampledSec = ((c.sampledAtMicros ?? nowMicros()) - this.t0) / 1e6;
    const endT = (lag.atMicros - this.t0) / 1e6;
    this.rates.add({ t: sampledSec, processed: c.totals.processed, endSum: lag.endSum, endT });
    const partitions = liveLag(lag, c.positions);
    const remaining = partitions.reduce((a, p) => a + p.lag, 0) + (temp?.total ?? 0);
    const smoothed = this.rates.rates();
    const info = this.info;
    const bpm = info?.bytesPerMessage ?? null;
    const tick: DrainTick = {
      elapsedSec,
      sampledSec,
      phase,
      remaining,
      remainingBytes: bpm === null ? null : Math.round(remaining * bpm),
      startLag: info?.startLag.total ?? 0,
      partitions,
      tempLag: temp?.total ?? null,
      drainedFraction: info ? drainedFraction(info.startLag, lag) : 0,
      totals: c.totals,
      rates: this.rates.latest(),
      smoothed,
      etaSec: etaSeconds(remaining, smoothed.net),
      timeInQueue: c.timeInQueue,
      processing: c.processing,
      lastError: c.lastError,
    };
    this.ticks.push(tick);
    this.emit('tick', tick);
  }
}
