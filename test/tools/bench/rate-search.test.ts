import { describe, expect, it } from 'vitest';
import { RateSearch } from '../../../src/tools/bench/rate-search.js';

const settings = { startRate: 10_000, acceptableBacklog: 1000, acceptablePublishDelayMs: 50 };
/** A system that sustains up to `capacity` msg/s: above it publishing falls short. */
const measure = (rate: number, capacity: number) => ({
  achievedRate: Math.min(rate, capacity),
  backlogStart: 0,
  backlogEnd: rate > capacity ? 5000 : 10,
  publishDelayP99Micros: rate > capacity ? 400_000 : 2000,
});

describe('RateSearch', () => {
  it('doubles until a step fails, then bisects to within 5%', () => {
    const s = new RateSearch(settings);
    const tried: number[] = [];
    while (!s.done && tried.length < 20) {
      const r = s.next();
      tried.push(r);
      s.record(measure(r, 55_000));
    }
    expect(tried.slice(0, 4)).toEqual([10_000, 20_000, 40_000, 80_000]);
    expect(tried[4]).toBe(60_000);
    expect(s.done).toBe(true);
    expect(s.best).toBeLessThanOrEqual(55_000);
    expect(s.best).toBeGreaterThan(55_000 * 0.95);
  });

  it('halves when the start rate is already too high', () => {
    const s = new RateSearch(settings);
    s.record(measure(s.next(), 3000));
    expect(s.next()).toBe(5000);
    s.record(measure(5000, 3000));
    expect(s.next()).toBe(2500);
    s.record(measure(2500, 3000));
    expect(s.best).toBe(2500);
    expect(s.next()).toBe(3750);
  });

  it('says why a step is not sustainable', () => {
    const s = new RateSearch(settings);
    const step = s.record({
      achievedRate: 9000,
      backlogStart: 100,
      backlogEnd: 2000,
      publishDelayP99Micros: 80_000,
    });
    expect(step.sustainable).toBe(false);
    expect(step.reason).toBe('published 9000 msg/s, backlog grew by 1900, publish delay p99 80.0 ms');
    const ok = s.record({ achievedRate: 4990, backlogStart: 0, backlogEnd: 0, publishDelayP99Micros: 1000 });
    expect(ok).toMatchObject({ rate: 5000, sustainable: true, publishDelayP99Ms: 1 });
    expect(ok.reason).toBeUndefined();
  });
});
