/**
 * Folds the workers' reports into the drain's running totals: counters (cumulative in reports, so
 * a collection replaces the previous one), interval and run-long histograms, the furthest offset
 * handled per partition, and — from final reports — the runs of handled offsets.
 */
import {
  addEncoded,
  createLatencyHistogram,
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
  timeInQueue: LatencySummary;
  processing: LatencySummary;
  /** Furthest offset handled + 1 per original partition. */
  positions: Map<number, number>;
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
        this.latest.set(key, r);
        addEncoded(tiq, r.timeInQueue);
        addEncoded(proc, r.processing);
        addEncoded(this.timeInQueue, r.timeInQueue);
        addEncoded(this.processing, r.processing);
        if (r.runs && r.role === 'consumer') this.runs.push(r.runs);
        if (r.role !== positionsFrom) continue;
        for (const [p, next] of Object.entries(r.positions)) {
          const k = Number(p);
          this.positions.set(k, Math.max(this.positions.get(k) ?? 0, next));
        }
      }
      const all = [...this.latest.values()];
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
        timeInQueue: summarize(tiq),
        processing: summarize(proc),
        positions: new Map(this.positions),
        fatal: all.find((r) => r.fatal)?.fatal,
        lastError: all.find((r) => r.lastError)?.lastError,
      };
    } finally {
      tiq.destroy();
      proc.destroy();
    }
  }

  encoded(): { timeInQueue: string; processing: string } {
    return { timeInQueue: encodeHistogram(this.timeInQueue), processing: encodeHistogram(this.processing) };
  }

  destroy(): void {
    this.timeInQueue.destroy();
    this.processing.destroy();
  }
}
