/**
 * Folds the workers' reports into the drain's running totals: counters (cumulative in reports, so
 * a collection replaces the previous one), interval and run-long histograms, the furthest offset
 * handled per partition, and — from final reports — the runs of handled offsets.
 */
import type { Histogram } from 'hdr-histogram-js';
import {
  createLatencyHistogram,
  decodeHistogram,
  encodeHistogram,
  type LatencySummary,
  summarize,
} from '../../metrics/histogram.js';
import type { PartitionRuns } from './coverage.js';
import type { DrainWorkerReport } from './messages.js';

export interface DrainTotals {
  /** Messages processed by the consumers (redeliveries included). */
  processed: number;
  bytes: number;
  failed: number;
  retried: number;
  deadLettered: number;
  /** Messages re-published by fan-out dispatchers. */
  republished: number;
}

export interface CollectedInterval {
  totals: DrainTotals;
  /**
   * When the counters were read: the mean of the reports' own times (µs), so a main thread that
   * was slow to take the replies does not skew rates; null when no report came.
   */
  sampledAtMicros: number | null;
  timeInQueue: LatencySummary;
  processing: LatencySummary;
  /** Furthest offset handled + 1 per original partition. */
  positions: Map<number, number>;
  /** When any consumer handled its first message, and the latest one (µs); 0 before any. */
  firstAtMicros: number;
  lastAtMicros: number;
  /** A worker's consumer stopped delivering. */
  fatal?: string;
  lastError?: string;
}

export class ReportCollector {
  readonly timeInQueue = createLatencyHistogram();
  readonly processing = createLatencyHistogram();
  readonly runs: PartitionRuns[] = [];
  private readonly positions = new Map<number, number>();
  private latest = new Map<string, DrainWorkerReport>();
  /** The latest cumulative histogram per worker and kind. */
  private readonly cumulative = new Map<string, Histogram>();

  /**
   * `reports` are keyed by worker ("consumer-3"); positions come from the workers that see
   * original offsets first (the dispatchers when fanning out).
   */
  add(
    reports: ReadonlyMap<string, DrainWorkerReport>,
    positionsFrom: 'consumer' | 'dispatcher',
  ): CollectedInterval {
    const tiq = createLatencyHistogram();
    const proc = createLatencyHistogram();
    try {
      for (const [key, r] of reports) {
        const before = this.latest.get(key);
        if (before === undefined || before.atMicros <= r.atMicros) this.latest.set(key, r);
        this.addSince(key, 'timeInQueue', r.timeInQueue, tiq, this.timeInQueue);
        this.addSince(key, 'processing', r.processing, proc, this.processing);
        if (r.runs && r.role === 'consumer') this.runs.push(r.runs);
        if (r.role !== positionsFrom) continue;
        for (const [p, next] of Object.entries(r.positions)) {
          const k = Number(p);
          this.positions.set(k, Math.max(this.positions.get(k) ?? 0, next));
        }
      }
      const all = [...this.latest.values()];
      const fresh = [...reports.values()];
      const firsts = all
        .filter((r) => r.role === 'consumer' && r.firstAtMicros > 0)
        .map((r) => r.firstAtMicros);
      const consumers = all.filter((r) => r.role === 'consumer');
      const sum = (xs: DrainWorkerReport[], f: (r: DrainWorkerReport) => number) =>
        xs.reduce((a, r) => a + f(r), 0);
      return {
        totals: {
          processed: sum(consumers, (r) => r.processed),
          bytes: sum(consumers, (r) => r.bytes),
          failed: sum(consumers, (r) => r.failed),
          retried: sum(consumers, (r) => r.retried),
          deadLettered: sum(consumers, (r) => r.deadLettered),
          republished: sum(
            all.filter((r) => r.role === 'dispatcher'),
            (r) => r.processed,
          ),
        },
        sampledAtMicros: fresh.length === 0 ? null : fresh.reduce((a, r) => a + r.atMicros, 0) / fresh.length,
        timeInQueue: summarize(tiq),
        processing: summarize(proc),
        positions: new Map(this.positions),
        firstAtMicros: firsts.length === 0 ? 0 : Math.min(...firsts),
        lastAtMicros: Math.max(0, ...consumers.map((r) => r.lastAtMicros)),
        fatal: all.find((r) => r.fatal)?.fatal,
        lastError: all.find((r) => r.lastError)?.lastError,
      };
    } finally {
      tiq.destroy();
      proc.destroy();
    }
  }

  /**
   * Workers send their histograms cumulative (never reset), so a report that crosses the final
   * one on its way, or is never answered, loses nothing: what is new since the worker's previous
   * report goes into the interval and into the run's total.
   */
  private addSince(
    key: string,
    which: 'timeInQueue' | 'processing',
    encoded: string,
    interval: Histogram,
    total: Histogram,
  ): void {
    if (encoded === '') return;
    const now = decodeHistogram(encoded);
    const seen = this.cumulative.get(`${key}/${which}`);
    if (seen !== undefined && seen.totalCount > now.totalCount) {
      // An older report that arrived after a newer one: nothing new in it.
      now.destroy();
      return;
    }
    if (seen === undefined) {
      interval.add(now);
      total.add(now);
    } else {
      // The report is cumulative: add what came since the one before (a copy, not a second decode).
      const delta = createLatencyHistogram();
      try {
        delta.add(now);
        delta.subtract(seen);
        interval.add(delta);
        total.add(delta);
      } finally {
        delta.destroy();
      }
    }
    seen?.destroy();
    this.cumulative.set(`${key}/${which}`, now);
  }

  encoded(): { timeInQueue: string; processing: string } {
    return { timeInQueue: encodeHistogram(this.timeInQueue), processing: encodeHistogram(this.processing) };
  }

  destroy(): void {
    for (const h of this.cumulative.values()) h.destroy();
    this.cumulative.clear();
    this.timeInQueue.destroy();
    this.processing.destroy();
  }
}
