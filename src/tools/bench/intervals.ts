/**
 * Turns the workers' reports into per-interval statistics and run-long aggregates.
 *
 * Reports carry cumulative counters, so an interval's counts are differences between two
 * collections, and its rates are those counts over the wall time between them. Histograms are
 * per report: an interval's percentiles come from merging every worker's histograms of that
 * report. During warm-up an interval shows all messages; afterwards only those intended from the
 * measurement start on, which are also added to the aggregate histograms.
 */
import {
  addEncoded,
  createLatencyHistogram,
  encodeHistogram,
  type Histogram,
  type LatencySummary,
  summarize,
} from '../../metrics/histogram.js';
import type { ConsumerReport, ProducerReport, SplitHistogram, WorkerReport } from './messages.js';

export type Phase = 'warmup' | 'measure' | 'drain';

export interface Totals {
  sent: number;
  acked: number;
  errors: number;
  /** Payload bytes acknowledged. */
  bytesAcked: number;
  received: number;
  bytesReceived: number;
  unstamped: number;
}

export interface IntervalStats {
  index: number;
  phase: Phase;
  /** Seconds since the schedule started (t0). */
  startSec: number;
  endSec: number;
  /** msg/s the producers were asked for; null when unthrottled. */
  targetRate: number | null;
  publishRate: number;
  publishMBps: number;
  publishErrorRate: number;
  consumeRate: number;
  consumeMBps: number;
  /** Messages acknowledged and not yet received, over all subscriptions. */
  backlog: number;
  totals: Totals;
  /** µs. */
  publishLatency: LatencySummary;
  publishDelay: LatencySummary;
  endToEnd: LatencySummary;
  /** Encoded merged histograms of the interval (µs), for HdrHistogram logs. */
  histograms: { publishLatency: string; publishDelay: string; endToEnd: string };
  lastError?: string;
}

export const EMPTY_TOTALS: Totals = {
  sent: 0,
  acked: 0,
  errors: 0,
  bytesAcked: 0,
  received: 0,
  bytesReceived: 0,
  unstamped: 0,
};

const MB = 1024 * 1024;

export class IntervalAccumulator {
  /** Run-long histograms of measured messages (µs). */
  readonly aggregate = {
    publishLatency: createLatencyHistogram(),
    publishDelay: createLatencyHistogram(),
    endToEnd: createLatencyHistogram(),
  };
  private last: Totals = { ...EMPTY_TOTALS };
  private index = 0;

  constructor(private readonly subscriptions: number) {}

  get totals(): Totals {
    return this.last;
  }

  /** Folds one collection of every worker's report into the next interval. */
  add(
    reports: readonly WorkerReport[],
    at: { phase: Phase; startSec: number; endSec: number; targetRate: number | null },
  ): IntervalStats {
    const producers = reports.filter((r): r is ProducerReport => r.kind === 'producer');
    const consumers = reports.filter((r): r is ConsumerReport => r.kind === 'consumer');
    const sum = <T>(xs: readonly T[], f: (x: T) => number) => xs.reduce((a, x) => a + f(x), 0);
    const totals: Totals = {
      sent: sum(producers, (p) => p.sent),
      acked: sum(producers, (p) => p.acked),
      errors: sum(producers, (p) => p.errors),
      bytesAcked: sum(producers, (p) => p.bytes),
      received: sum(consumers, (c) => c.received),
      bytesReceived: sum(consumers, (c) => c.bytes),
      unstamped: sum(consumers, (c) => c.unstamped),
    };
    const prev = this.last;
    this.last = totals;
    const secs = Math.max(at.endSec - at.startSec, 1e-6);
    const showWarmup = at.phase === 'warmup';
    const merge = (parts: SplitHistogram[], aggregate: Histogram) => {
      const h = createLatencyHistogram();
      try {
        for (const p of parts) {
          addEncoded(aggregate, p.measured);
          addEncoded(h, p.measured);
          if (showWarmup) addEncoded(h, p.warmup);
        }
        return { summary: summarize(h), encoded: encodeHistogram(h) };
      } finally {
        h.destroy();
      }
    };
    const pub = merge(
      producers.map((p) => p.publishLatency),
      this.aggregate.publishLatency,
    );
    const delay = merge(
      producers.map((p) => p.publishDelay),
      this.aggregate.publishDelay,
    );
    const e2e = merge(
      consumers.map((c) => c.endToEnd),
      this.aggregate.endToEnd,
    );
    const lastError = [...producers, ...consumers].find((r) => r.lastError)?.lastError;
    return {
      index: this.index++,
      phase: at.phase,
      startSec: at.startSec,
      endSec: at.endSec,
      targetRate: at.targetRate,
      publishRate: (totals.acked - prev.acked) / secs,
      publishMBps: (totals.bytesAcked - prev.bytesAcked) / MB / secs,
      publishErrorRate: (totals.errors - prev.errors) / secs,
      consumeRate: (totals.received - prev.received) / secs,
      consumeMBps: (totals.bytesReceived - prev.bytesReceived) / MB / secs,
      backlog:
        this.subscriptions === 0 ? 0 : Math.max(0, totals.acked * this.subscriptions - totals.received),
      totals,
      publishLatency: pub.summary,
      publishDelay: delay.summary,
      endToEnd: e2e.summary,
      histograms: { publishLatency: pub.encoded, publishDelay: delay.encoded, endToEnd: e2e.encoded },
      lastError,
    };
  }

  destroy(): void {
    for (const h of Object.values(this.aggregate)) h.destroy();
  }
}
