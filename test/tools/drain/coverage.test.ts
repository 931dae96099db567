import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { coverageOf, OffsetRuns } from '../../../src/tools/drain/coverage.js';

describe('OffsetRuns', () => {
  it('extends the last run of a partition when offsets follow on, else starts a new one', () => {
    const r = new OffsetRuns();
    for (const o of [5, 6, 7]) r.add(0, o);
    r.add(1, 0);
    r.add(0, 8);
    r.add(0, 3); // redelivered after a rebalance
    r.add(0, 4);
    expect(r.toJSON()).toEqual({
      0: [
        [5, 9],
        [3, 5],
      ],
      1: [[0, 1]],
    });
    expect(r.positions()).toEqual({ 0: 9, 1: 1 });
  });
});

describe('coverageOf', () => {
  it('merges runs of several workers, counts repeats and finds gaps in the expected range', () => {
    const a = { 0: [[0, 10]], 1: [[0, 4]] };
    const b = {
      0: [
        [8, 15],
        [20, 25],
      ],
      1: [[6, 10]],
    };
    const c = coverageOf(
      [a, b],
      new Map([
        [0, [0, 25] as const],
        [1, [0, 10] as const],
        [2, [3, 5] as const],
      ]),
    );
    expect(c.handled).toBe(15 + 5 + 4 + 4);
    expect(c.repeats).toBe(2);
    expect(c.partitions.map((p) => [p.partition, p.gaps])).toEqual([
      [0, [[15, 20]]],
      [1, [[4, 6]]],
      [2, [[3, 5]]],
    ]);
    expect(c.missing).toBe(5 + 2 + 2);
  });

  it('finds no gaps when the runs cover the range (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 30 })), {
          maxLength: 30,
        }),
        fc.integer({ min: 0, max: 250 }),
        fc.integer({ min: 0, max: 250 }),
        (raw, x, y) => {
          const runs = raw.map(([from, len]) => [from, from + len]);
          const [lo, hi] = x <= y ? [x, y] : [y, x];
          const c = coverageOf([{ 7: runs }], new Map([[7, [lo, hi] as const]]));
          const set = new Set<number>();
          for (const [f, t] of runs) for (let o = f; o < t; o++) set.add(o);
          const total = runs.reduce((s, r) => s + r[1] - r[0], 0);
          expect(c.handled).toBe(set.size);
          expect(c.repeats).toBe(total - set.size);
          let missing = 0;
          for (let o = lo; o < hi; o++) if (!set.has(o)) missing++;
          expect(c.missing).toBe(missing);
          for (const [f, t] of c.partitions[0].gaps)
            for (let o = f; o < t; o++) expect(set.has(o)).toBe(false);
        },
      ),
    );
  });
});
