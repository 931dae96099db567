/**
 * The drain's renderers from fixed states: the ink live view (frames normalised, no sleeps), the
 * plain lines and the summaries.
 */
import { render } from 'ink-testing-library';
import { createElement } from 'react';
import { describe, expect, it } from 'vitest';
import type { LatencySummary } from '../../../src/metrics/histogram.js';
import type { DrainResult } from '../../../src/tools/drain/result.js';
import type { DrainStartInfo, DrainTick } from '../../../src/tools/drain/runner.js';
import { bar } from '../../../src/ui/drain/drain-format.js';
import {
  drainStartLine,
  drainSummary,
  drainTickLine,
  fillSummary,
} from '../../../src/ui/drain/drain-lines.js';
import { DrainLiveView } from '../../../src/ui/drain/drain-live-view.js';
import { drainViewReducer, initialDrainView } from '../../../src/ui/drain/drain-view-state.js';

const strip = (s: string | undefined) => (s ?? '').replace(/\x1b\[[0-9;]*m/g, '');

const lat = (p50: number, p99: number): LatencySummary => ({
  count: 10,
  avg: p50,
  p50,
  p75: p50,
  p95: p99,
  p99,
  p999: p99,
  p9999: p99,
  p99999: p99,
  max: p99,
});

const info: DrainStartInfo = {
  topic: 'orders',
  group: 'billing',
  partitions: 2,
  consumers: 4,
  fanout: 1,
  tempTopic: null,
  startLag: {
    atMicros: 0,
    total: 1000,
    endSum: 1000,
    partitions: [
      { partition: 0, endOffset: 600, committed: -1, lag: 600 },
      { partition: 1, endOffset: 400, committed: -1, lag: 400 },
    ],
  },
  bytesPerMessage: 100,
  maxRate: 20_000,
  timeoutMs: null,
  drainRatio: 1,
  produceRate: null,
};

const tick: DrainTick = {
  elapsedSec: 2,
  sampledSec: 2,
  phase: 'draining',
  remaining: 400,
  remainingBytes: 40_000,
  startLag: 1000,
  partitions: [
    { partition: 0, endOffset: 650, committed: 400, lag: 300 },
    { partition: 1, endOffset: 400, committed: 300, lag: 100 },
  ],
  tempLag: null,
  drainedFraction: 0.6,
  totals: { processed: 650, bytes: 65_000, failed: 0, retried: 2, deadLettered: 1, republished: 0 },
  rates: { arrival: 25, drain: 325, net: 300 },
  smoothed: { arrival: 25, drain: 325, net: 300 },
  etaSec: 400 / 300,
  timeInQueue: lat(1_500_000, 2_000_000),
  processing: lat(20, 900),
};

describe('drain live view', () => {
  it('renders progress, rates, ETA, per-partition lag bars and latencies from a fixed state', () => {
    let s = drainViewReducer(initialDrainView(), { type: 'start', info });
    s = drainViewReducer(s, { type: 'tick', tick });
    expect(s.drainRates).toEqual([325]);
    const { lastFrame, unmount } = render(createElement(DrainLiveView, { state: s }));
    const frame = strip(lastFrame());
    unmount();
    const lines = frame.split('\n').map((l) => l.trimEnd());
    expect(lines[0]).toBe(
      'mq drain-backlog · orders · group billing · 2 partitions · 4 consumers · max 20,000 msg/s',
    );
    expect(lines[1]).toBe('draining  2.0s  start lag 1,000');
    expect(frame).toContain(`${bar(0.6, 40)} 60.0%  remaining 400 (0.04 MiB)  ETA 1.3s`);
    expect(frame).toContain('drain 325 msg/s · arrival 25 msg/s · net +300 msg/s');
    expect(frame).toMatch(/ {3}p0 █{12}░{12} {9}300/);
    expect(frame).toMatch(/ {3}p1 █{4}░{20} {9}100/);
    expect(frame).toContain('time in queue  p50 1500 p99 2000 ms');
    expect(frame).toContain('processing     p50 0.020 p99 0.90 ms');
    expect(frame).toContain('processed 650 · retried 2 · dead-lettered 1 · failed 0');
  });

  it('says when the backlog does not shrink, and waits for the lag before the start', () => {
    const growing = { ...tick, smoothed: { arrival: 500, drain: 300, net: -200 }, etaSec: null };
    let s = drainViewReducer(initialDrainView(), { type: 'start', info });
    s = drainViewReducer(s, { type: 'tick', tick: growing });
    const { lastFrame, unmount } = render(createElement(DrainLiveView, { state: s }));
    const frame = strip(lastFrame());
    unmount();
    expect(frame).toContain('ETA never (not shrinking)');
    // An idle interval keeps the latencies last seen.
    const idle = {
      ...tick,
      timeInQueue: { ...tick.timeInQueue, count: 0 },
      processing: { ...tick.processing, count: 0 },
    };
    const kept = drainViewReducer(s, { type: 'tick', tick: idle });
    expect(kept.timeInQueue).toBe(tick.timeInQueue);
    expect(kept.processing).toBe(tick.processing);
    expect(frame).toContain('net -200 msg/s');
    const waiting = render(createElement(DrainLiveView, { state: initialDrainView() }));
    expect(strip(waiting.lastFrame())).toBe('mq drain-backlog · measuring lag…');
    waiting.unmount();
    expect(drainViewReducer(s, { type: 'done' }).phase).toBe('done');
  });
});

describe('drain plain lines', () => {
  it('one line at the start and per interval', () => {
    expect(drainStartLine(info)).toBe(
      'mq drain-backlog · orders · group billing · 2 partitions · 4 consumers · max 20,000 msg/s · lag 1,000 (0.10 MiB)',
    );
    expect(drainTickLine(tick)).toBe(
      '  2.0s drain | remaining 400 | drain 325/s arrival 25/s net +300/s | ETA 1.3s | in queue p50 1500 p99 2000 ms | processing p50 0.020 p99 0.90 ms | retried 2 dlq 1 failed 0',
    );
  });

  it('summarises a result and a fill', () => {
    const result = {
      outcome: 'timeout',
      reason: 'timeout after 4000 ms',
      durationSec: 4.2,
      startLag: { messages: 5000 },
      endLag: { messages: 7000 },
      counts: { processed: 800, bytes: 80_000, failed: 0, retried: 0, deadLettered: 0, arrived: 4000 },
      rates: { drain: 190, drainMBps: 0.02, arrival: 952, net: -762, peakDrain: 200 },
      latencyMs: {
        timeInQueue: { count: 800, avg: 1, p50: 1200, p95: 1, p99: 3000, p999: 1, max: 3100 },
        processing: { count: 800, avg: 5, p50: 5, p95: 5, p99: 5.1, p999: 6, max: 6 },
      },
      coverage: { handled: 800, repeats: 0, missing: 0, gaps: [] },
      fanout: null,
      warnings: [],
    } as unknown as DrainResult;
    expect(drainSummary(result).split('\n')).toEqual([
      'stopped by the timeout with lag left (timeout after 4000 ms) in 4.2s: lag 5,000 → 7,000',
      'processed 800 at 190 msg/s (0.02 MB/s, peak 200/s); arrived 4,000 (952/s)',
      'time in queue p50 1200 p99 3000 max 3100 ms; processing p50 5.00 p99 5.10 ms',
      'check: 800 offsets handled, 0 redelivered, 0 missing',
    ]);
    expect(
      fillSummary({
        topic: 't',
        partitions: 8,
        created: true,
        messages: 1_000_000,
        messageSize: 100,
        bytes: 100_000_000,
        producerId: 7,
        seconds: 2,
        rate: 500_000,
        MBps: 47.7,
      }),
    ).toBe(
      'filled t (created): 1,000,000 × 100 B over 8 partitions (95.4 MiB) in 2.0s, 500.0k msg/s, 47.7 MB/s; stamps from producer 7',
    );
  });
});
