import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RangeSet } from '../../../src/tools/verify/checker/range-set.js';

describe('RangeSet', () => {
  it('merges touching and overlapping ranges and reports what was new', () => {
    const r = new RangeSet();
    expect(r.add(0, 5)).toBe(5);
    expect(r.add(10, 12)).toBe(2);
    expect(r.add(5, 10)).toBe(5); // closes the hole
    expect([...r.ranges()]).toEqual([[0, 12]]);
    expect(r.add(3, 14)).toBe(2);
    expect(r.size).toBe(14);
    expect(r.add(20, 21)).toBe(1);
    expect(r.countIn(10, 25)).toBe(5);
    const gaps: [number, number][] = [];
    r.gaps(0, 25, (a, b) => gaps.push([a, b]));
    expect(gaps).toEqual([
      [14, 20],
      [21, 25],
    ]);
    expect(r.max).toBe(21);
    expect(r.has(13)).toBe(true);
    expect(r.has(14)).toBe(false);
  });

  it('behaves like a set of integers (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 8 })), {
          maxLength: 40,
        }),
        (adds) => {
          const r = new RangeSet();
          const ref = new Set<number>();
          for (const [a, len] of adds) {
            let fresh = 0;
            for (let x = a; x < a + len; x++) if (!ref.has(x)) fresh++;
            expect(r.add(a, a + len)).toBe(fresh);
            for (let x = a; x < a + len; x++) ref.add(x);
          }
          expect(r.size).toBe(ref.size);
          for (let x = 0; x < 70; x++) expect(r.has(x)).toBe(ref.has(x));
          const ranges = [...r.ranges()];
          for (let i = 1; i < ranges.length; i++) expect(ranges[i][0]).toBeGreaterThan(ranges[i - 1][1]);
          let inWindow = 0;
          for (const x of ref) if (x >= 10 && x < 30) inWindow++;
          expect(r.countIn(10, 30)).toBe(inWindow);
        },
      ),
    );
  });
});
