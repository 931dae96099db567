/** Deterministic bench results for tests of assertions, reports and compare: no run involved. */
import {
  encodeHistogram,
  type LatencySummary,
  recordMicros,
  withHistogram,
} from '../../../src/metrics/histogram.js';
import type { IntervalStats } from '../../../src/tools/bench/intervals.js';
import { type BenchResult, buildResult } from '../../../src/tools/bench/result.js';
import type { BenchRun } from '../../../src/tools/bench/runner.js';
import { resolveWorkload } from '../../../src/tools/bench/workload.js';

const enc = (values: number[]) =>
  withHistogram((h) => {
    for (const v of values) recordMicros(h, v);
    return encodeHistogram(h);
  });

export function latency(p50: number, p99: number, max: number, count = 100): LatencySummary {
  return { count, avg: p50, p50, p75: p50, p95: p99, p99, p999: max, p9999: max, p99999: max, max };
}

export function interval(
  index: number,
  phase: IntervalStats['phase'],
  rate: number,
  e2eP99Micros: number,
): IntervalStats {
  return {
    index,
    phase,
    startSec: index,
    endSec: index + 1,
    targetRate: 1000,
    publishRate: rate,
    publishMBps: (rate * 100) / 1048576,
    publishErrorRate: 0,
    consumeRate: rate,
    consumeMBps: (rate * 100) / 1048576,
    backlog: index,
    totals: { sent: 0, acked: 0, errors: 0, bytesAcked: 0, received: 0, bytesReceived: 0, unstamped: 0 },
    publishLatency: latency(800, 1500, 2000),
    publishDelay: latency(20, 90, 120),
    endToEnd: latency(1000, e2eP99Micros, e2eP99Micros + 500),
    histograms: { publishLatency: '', publishDelay: '', endToEnd: '' },
  };
}

/** 1000 msg/s for 3 measured seconds; e2e latencies 1..`e2eMaxMs` ms, publish 1..2 ms. */
export function sampleResult(opts: { e2eMaxMs?: number; rate?: number; driver?: string } = {}): BenchResult {
  const rate = opts.rate ?? 1000;
  const e2eMax = (opts.e2eMaxMs ?? 10) * 1000;
  const workload = resolveWorkload({
    flags: { partitionsPerTopic: 8, producerRate: rate, testDurationMinutes: 0.05 },
  });
  const n = rate * 3;
  const run: BenchRun = {
    startedAt: '2024-01-02T03:04:05.000Z',
    topics: ['mq-bench-abc-0'],
    intervals: [
      interval(0, 'warmup', rate, 5000),
      ...[1, 2, 3].map((i) => interval(i, 'measure', rate, 4000)),
      interval(4, 'drain', 0, 0),
    ],
    totals: {
      sent: n + rate,
      acked: n + rate,
      errors: 0,
      bytesAcked: (n + rate) * 100,
      received: n + rate,
      bytesReceived: (n + rate) * 100,
      unstamped: 0,
    },
    measured: { seconds: 3, acked: n, errors: 0, bytesAcked: n * 100, received: n, bytesReceived: n * 100 },
    histograms: {
      publishLatency: enc(Array.from({ length: 100 }, (_, i) => 1000 + i * 10)),
      publishDelay: enc(Array.from({ length: 100 }, (_, i) => 10 + i)),
      endToEnd: enc(Array.from({ length: 100 }, (_, i) => 1000 + (i * (e2eMax - 1000)) / 99)),
    },
    warnings: [],
  };
  return buildResult(run, {
    workload,
    driver: opts.driver ?? 'mq',
    brokers: 'embedded',
    embeddedFlush: 'os',
    intervalMs: 1000,
    version: '0.1.0',
  });
}
