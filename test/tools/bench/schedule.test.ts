import { describe, expect, it } from 'vitest';
import { IntendedSchedule } from '../../../src/tools/bench/schedule.js';

describe('IntendedSchedule', () => {
  it('intends message i at t0 + i / rate and counts what is due', () => {
    const s = new IntendedSchedule(1000, 5_000_000); // one per ms from t = 5 s
    expect(s.intendedAt(0)).toBe(5_000_000);
    expect(s.intendedAt(3)).toBe(5_003_000);
    expect(s.due(4_999_999)).toBe(0);
    expect(s.due(5_000_000)).toBe(1);
    expect(s.due(5_002_500)).toBe(3);
    expect(s.take(3)).toBe(0);
    expect(s.due(5_002_500)).toBe(0);
    expect(s.waitMicros(5_002_500)).toBe(500);
    // Falling behind does not drop messages: everything intended so far is due.
    expect(s.due(5_100_000)).toBe(98);
  });

  it('changes rate from now on and keeps counting sequence numbers', () => {
    const s = new IntendedSchedule(100, 0);
    s.take(s.due(1_000_000)); // 101 messages (0 .. 1 s inclusive)
    expect(s.next).toBe(101);
    s.setRate(1000, 2_000_000);
    expect(s.intendedAt(101)).toBe(2_000_000);
    expect(s.intendedAt(111)).toBe(2_010_000);
    expect(s.due(2_000_500)).toBe(1);
  });

  it('without a rate everything is due at once and nothing is intended in advance', () => {
    const s = new IntendedSchedule(null, 0);
    expect(s.due(0)).toBe(Number.POSITIVE_INFINITY);
    expect(s.waitMicros(0)).toBe(0);
    expect(Number.isNaN(s.intendedAt(0))).toBe(true);
    expect(() => s.setRate(0, 0)).toThrow(/positive/);
  });
});
