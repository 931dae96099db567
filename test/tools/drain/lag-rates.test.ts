import { describe, expect, it } from 'vitest';
import { drainedFraction, drainedOfStart, liveLag, snapshotOf } from '../../../src/tools/drain/lag.js';
import { etaSeconds, RateWindow } from '../../../src/tools/drain/rates.js';

const p = (partition: number, endOffset: number, committed: number, logStart = 0) => ({
  partition,
  endOffset,
  committed,
  lag: endOffset - (committed >= 0 ? Math.max(committed, logStart) : logStart),
});

describe('drain progress against the starting backlog', () => {
  it('counts committed progress per partition, clamped to its start lag; arrivals neither count nor block', () => {
    const start = snapshotOf([p(0, 100, -1), p(1, 50, 30)], 0);
    expect(start.total).toBe(120);
    // Partition 0 committed 60; partition 1 passed its start end while 40 more arrived.
    const now = snapshotOf([p(0, 180, 60), p(1, 90, 70)], 1);
    expect(drainedOfStart(start, now)).toBe(60 + 20);
    expect(drainedFraction(start, now)).toBeCloseTo(80 / 120);
    const done = snapshotOf([p(0, 300, 100), p(1, 95, 50)], 2);
    expect(drainedFraction(start, done)).toBe(1);
    expect(done.total).toBe(200 + 45);
    expect(drainedFraction(snapshotOf([], 0), snapshotOf([], 1))).toBe(1);
  });

  it('shows live lag from the furthest of committed and handled offsets', () => {
    const now = snapshotOf([p(0, 100, 40), p(1, 100, -1, 10)], 0);
    const live = liveLag(now, new Map([[0, 70]]));
    expect(live.map((x) => x.lag)).toEqual([30, 90]);
    expect(liveLag(now, new Map([[0, 20]]))[0].lag).toBe(60);
  });
});

describe('rates', () => {
  it('arrival from log-end growth, drain from processed, net = drain − arrival, over a sliding window', () => {
    const w = new RateWindow(2);
    expect(w.rates()).toEqual({ arrival: 0, drain: 0, net: 0 });
    w.add({ t: 0, endSum: 1000, processed: 0 });
    w.add({ t: 1, endSum: 1100, processed: 500 });
    expect(w.latest()).toEqual({ arrival: 100, drain: 500, net: 400 });
    w.add({ t: 2, endSum: 1200, processed: 700 });
    w.add({ t: 3, endSum: 1300, processed: 800 });
    // The window keeps samples within 2 s of the newest: t = 1..3.
    expect(w.rates()).toEqual({ arrival: 100, drain: 150, net: 50 });
    expect(w.latest()).toEqual({ arrival: 100, drain: 100, net: 0 });
  });

  it('gives an ETA only while the backlog shrinks', () => {
    expect(etaSeconds(1000, 100)).toBe(10);
    expect(etaSeconds(1000, 0)).toBeNull();
    expect(etaSeconds(1000, -5)).toBeNull();
    expect(etaSeconds(0, -5)).toBe(0);
  });
});

describe('rates from samples taken at different times', () => {
  it('arrival uses the lag read times, drain the counter read times', () => {
    const w = new RateWindow(5);
    w.add({ t: 0, processed: 0, endSum: 0, endT: 0.5 });
    w.add({ t: 2, processed: 1000, endSum: 300, endT: 1.5 });
    expect(w.latest()).toEqual({ arrival: 300, drain: 500, net: 200 });
  });
});
