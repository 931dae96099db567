/**
 * The shared token bucket with a fake clock: the cap holds over long windows whoever reserves,
 * bursts are bounded, and idle time is not banked.
 */
import { describe, expect, it } from 'vitest';
import { createTokenBucket, SharedTokenBucket } from '../../../src/tools/drain/token-bucket.js';

function fakeClock() {
  const c = { micros: 1_000_000_000, now: () => c.micros };
  return c;
}

/** Consumers take turns reserving `chunk` tokens and waiting as told, for `seconds`. */
function simulate(buckets: SharedTokenBucket[], clock: { micros: number }, chunk: number, seconds: number) {
  const start = clock.micros;
  const readyAt = buckets.map(() => clock.micros);
  let granted = 0;
  for (;;) {
    // The consumer whose turn comes first goes next (time only moves forward).
    let i = 0;
    for (let k = 1; k < buckets.length; k++) if (readyAt[k] < readyAt[i]) i = k;
    clock.micros = Math.max(clock.micros, readyAt[i]);
    if (clock.micros - start >= seconds * 1e6) break;
    const usedAt = clock.micros + buckets[i].reserve(chunk) * 1000;
    // Tokens count when they are used (after the wait), inside the window.
    if (usedAt - start < seconds * 1e6) granted += chunk;
    readyAt[i] = usedAt + 50;
  }
  return granted;
}

describe('SharedTokenBucket', () => {
  it('holds the rate over a long window, with one consumer or several sharing the buffer', () => {
    for (const consumers of [1, 4]) {
      const clock = fakeClock();
      const spec = createTokenBucket(20_000, 0.02);
      const buckets = Array.from({ length: consumers }, () => new SharedTokenBucket(spec, clock.now));
      const granted = simulate(buckets, clock, 200, 5);
      // At most rate × (window + burst) + one reservation per consumer.
      expect(granted).toBeLessThanOrEqual(20_000 * 5.02 + 200 * consumers);
      expect(granted).toBeGreaterThanOrEqual(20_000 * 5 * 0.99);
    }
  });

  it('starts empty, then spaces reservations by their cost', () => {
    const clock = fakeClock();
    const b = new SharedTokenBucket(createTokenBucket(1000, 0.02), clock.now);
    expect(b.reserve(10)).toBe(0);
    expect(b.reserve(10)).toBeCloseTo(10, 6);
    expect(b.reserve(10)).toBeCloseTo(20, 6);
  });

  it('makes up for a stall up to the burst, and banks no idle time beyond it', () => {
    const clock = fakeClock();
    const b = new SharedTokenBucket(createTokenBucket(1000, 0.02), clock.now);
    b.reserve(1);
    clock.micros += 10_000_000; // idle 10 s
    let free = 0;
    while (b.reserve(1) === 0) free++;
    // 20 ms of burst at 1000/s is 20 tokens (+1 starting exactly now).
    expect(free).toBeLessThanOrEqual(21);
    expect(free).toBeGreaterThanOrEqual(20);
  });

  it('after a stall shorter than the burst, the count over the window is what the rate allows', () => {
    const run = (burstSec: number) => {
      const clock = fakeClock();
      const b = new SharedTokenBucket(createTokenBucket(1000, burstSec), clock.now);
      const start = clock.micros;
      let granted = 0;
      let stalled = false;
      while (clock.micros - start < 5_000_000) {
        if (!stalled && clock.micros - start >= 2_000_000) {
          clock.micros += 400_000; // a 400 ms stall
          stalled = true;
        }
        const usedAt = clock.micros + b.reserve(10) * 1000;
        if (usedAt - start < 5_000_000) granted += 10;
        clock.micros = usedAt;
      }
      return granted;
    };
    // Made up with a 500 ms bucket; lost without one (± one reservation at the window's edge).
    expect(Math.abs(run(0.5) - 5000)).toBeLessThanOrEqual(10);
    expect(Math.abs(run(0) - 4600)).toBeLessThanOrEqual(10);
  });

  it('sizes reservations to a time slice, at least one token', () => {
    const b = new SharedTokenBucket(createTokenBucket(20_000));
    expect(b.tokensPer(10)).toBe(200);
    expect(new SharedTokenBucket(createTokenBucket(5)).tokensPer(10)).toBe(1);
    expect(() => createTokenBucket(0)).toThrow(RangeError);
  });
});
