import { beforeAll, describe, expect, it } from 'vitest';
import {
  addEncoded,
  clampMicros,
  createLatencyHistogram,
  decodeHistogram,
  encodeHistogram,
  initHistograms,
  LATENCY_BOUNDS,
  mergeEncoded,
  quantileMap,
  recordMicros,
  SPECTRUM_PERCENTILES,
  summarize,
  withHistogram,
} from '../../src/metrics/histogram.js';
import { IntendedSchedule } from '../../src/tools/bench/schedule.js';

beforeAll(async () => {
  await initHistograms();
});

const encodeValues = (values: number[]) =>
  withHistogram((h) => {
    for (const v of values) recordMicros(h, v);
    return encodeHistogram(h);
  });

describe('latency histograms', () => {
  it('summarises exactly below 2048 µs (unit resolution at 3 significant digits)', () => {
    withHistogram((h) => {
      for (const v of [100, 200, 300, 400, 500]) recordMicros(h, v);
      expect(summarize(h)).toMatchObject({ count: 5, avg: 300, p50: 300, p99: 500, max: 500 });
    });
  });

  it('merges encoded histograms from several workers into the same counts as one histogram', () => {
    const a = encodeValues([100, 200, 300]);
    const b = encodeValues([400, 500]);
    const merged = decodeHistogram(mergeEncoded([a, '', b]));
    try {
      expect(summarize(merged)).toMatchObject({ count: 5, avg: 300, p50: 300, p75: 400, max: 500 });
    } finally {
      merged.destroy();
    }
  });

  it('merging is exact for large values too: same percentiles as recording them in one place', () => {
    const values = Array.from({ length: 1000 }, (_, i) => 1000 + i * 7919);
    const one = decodeHistogram(encodeValues(values));
    const parts = decodeHistogram(
      mergeEncoded([
        encodeValues(values.slice(0, 300)),
        encodeValues(values.slice(300, 700)),
        encodeValues(values.slice(700)),
      ]),
    );
    try {
      expect(summarize(parts)).toEqual(summarize(one));
      // 3 significant digits: every percentile within 0.1% of the true order statistic.
      const sorted = [...values].sort((x, y) => x - y);
      const trueP99 = sorted[Math.ceil(0.99 * sorted.length) - 1];
      expect(Math.abs(summarize(parts).p99 - trueP99) / trueP99).toBeLessThan(0.001);
    } finally {
      one.destroy();
      parts.destroy();
    }
  });

  it('adds an encoded histogram into a running aggregate', () => {
    withHistogram((agg) => {
      addEncoded(agg, encodeValues([10, 20]));
      addEncoded(agg, encodeValues([30]));
      addEncoded(agg, '');
      expect(summarize(agg)).toMatchObject({ count: 3, avg: 20, max: 30 });
    });
  });

  it('clamps instead of dropping or throwing outside 0 .. 1 h', () => {
    expect(clampMicros(-5)).toBe(0);
    expect(clampMicros(Number.NaN)).toBe(0);
    expect(clampMicros(12.4)).toBe(12);
    expect(clampMicros(1e13)).toBe(LATENCY_BOUNDS.highestTrackableValue);
    withHistogram((h) => {
      recordMicros(h, -1);
      recordMicros(h, 5e12);
      expect(h.totalCount).toBe(2);
      expect(h.maxValue).toBeGreaterThanOrEqual(LATENCY_BOUNDS.highestTrackableValue);
    });
  });

  it('encodes an empty histogram as the empty string and summarises it as zeros', () => {
    withHistogram((h) => expect(encodeHistogram(h)).toBe(''));
    const empty = decodeHistogram('');
    try {
      expect(summarize(empty)).toMatchObject({ count: 0, p99: 0, max: 0 });
      expect(quantileMap(empty)).toEqual({});
    } finally {
      empty.destroy();
    }
  });

  it('gives a percentile spectrum from the median to 99.999 and the max', () => {
    expect(SPECTRUM_PERCENTILES).toContain(50);
    expect(SPECTRUM_PERCENTILES).toContain(99.9);
    expect(SPECTRUM_PERCENTILES).toContain(99.999);
    expect(SPECTRUM_PERCENTILES.at(-1)).toBe(100);
    withHistogram((h) => {
      for (let v = 1; v <= 1000; v++) recordMicros(h, v);
      const q = quantileMap(h);
      expect(q['50']).toBe(500);
      expect(q['99']).toBe(990);
      expect(q['100']).toBe(1000);
    });
  });
});

/**
 * Gil Tene's example of coordinated omission, computed by hand: one blocking sender at 100 msg/s
 * (one every 10 ms), 1 ms service time, and one 1000 ms stall on message 10; 200 messages.
 *
 * Measured from the actual send (closed loop), the stall is a single 1001 ms sample among 199 of
 * 1 ms: p50 = p99 = 1 ms. Measured from the intended send time (what mq bench does), message 10
 * takes 1001 ms and messages 11..121, sent back to back once the stall ends (message k acked at
 * 1091 + k ms, intended at 10k ms), take 1091 − 9k ms: 992, 983, ..., 2. Then the sender is on
 * schedule again. Sorted: 88 × 1 ms, then 2, 11, ..., 992 (step 9), then 1001. So the 100th
 * value (p50) is 2 + 9·11 = 101 ms and the 198th (p99) is 2 + 9·109 = 983 ms.
 */
describe('coordinated omission: latency from the intended send time', () => {
  const MS = 1000;
  function simulate(fromIntended: boolean): number[] {
    const schedule = new IntendedSchedule(100, 0);
    let freeAt = 0; // when the blocking sender can send again (µs)
    const latencies: number[] = [];
    while (schedule.next < 200) {
      const seq = schedule.next;
      const intended = schedule.intendedAt(seq);
      const now = Math.max(intended, freeAt);
      expect(schedule.due(now)).toBeGreaterThan(0);
      schedule.take(1);
      const service = seq === 10 ? 1001 * MS : 1 * MS;
      const ack = now + service;
      freeAt = ack;
      latencies.push(ack - (fromIntended ? intended : now));
    }
    return latencies;
  }

  it('measured from the actual send, the stall is one sample and the percentiles hide it', () => {
    withHistogram((h) => {
      for (const v of simulate(false)) recordMicros(h, v);
      expect(summarize(h)).toMatchObject({ count: 200, p50: 1000, p99: 1000, max: 1001 * MS });
    });
  });

  it('measured from the intended send time, every delayed message counts (hand-computed)', () => {
    const lat = simulate(true);
    expect(lat.slice(0, 10)).toEqual(Array(10).fill(1 * MS));
    expect(lat[10]).toBe(1001 * MS);
    expect(lat[11]).toBe(992 * MS);
    expect(lat[121]).toBe(2 * MS);
    expect(lat[122]).toBe(1 * MS);
    withHistogram((h) => {
      for (const v of lat) recordMicros(h, v);
      const s = summarize(h);
      expect(s.count).toBe(200);
      // 3 significant digits: within 0.1%.
      expect(s.p50).toBeGreaterThanOrEqual(101 * MS);
      expect(s.p50).toBeLessThanOrEqual(101 * MS * 1.001);
      expect(s.p99).toBeGreaterThanOrEqual(983 * MS);
      expect(s.p99).toBeLessThanOrEqual(983 * MS * 1.001);
      expect(s.max).toBeLessThanOrEqual(1001 * MS * 1.001);
    });
  });

  it("HdrHistogram's own after-the-fact correction fills in 99 samples (991 .. 11 ms) for the same stall", () => {
    const h = createLatencyHistogram();
    try {
      for (const v of simulate(false)) recordMicros(h, v);
      const corrected = h.copyCorrectedForCoordinatedOmission(10 * MS);
      try {
        expect(corrected.totalCount).toBe(299);
        expect(corrected.getValueAtPercentile(50)).toBeLessThanOrEqual(1001);
        expect(corrected.getValueAtPercentile(90)).toBeGreaterThan(500 * MS);
      } finally {
        corrected.destroy();
      }
    } finally {
      h.destroy();
    }
  });
});
