import { describe, expect, it } from 'vitest';
import { type GroupAssignment, rangeAssignor, roundRobinAssignor } from '../../src/client/assignors.js';

const plain = (a: GroupAssignment) =>
  Object.fromEntries(
    [...a].map(([m, tps]) => [m, Object.fromEntries(tps.map((tp) => [tp.topic, tp.partitions]))]),
  );

describe('range assignor', () => {
  it('gives each member a contiguous range per topic, the first ones one extra', () => {
    const members = [
      { memberId: 'c', topics: ['t1', 't2'] },
      { memberId: 'a', topics: ['t1', 't2'] },
      { memberId: 'b', topics: ['t1', 't3'] },
    ];
    const out = rangeAssignor.assign(
      members,
      new Map([
        ['t1', 7],
        ['t2', 2],
        ['t3', 3],
      ]),
    );
    // t1: 7 over a,b,c = 3,2,2. t2: 2 over a,c = 1,1. t3: all 3 to b.
    expect(plain(out)).toEqual({
      a: { t1: [0, 1, 2], t2: [0] },
      b: { t1: [3, 4], t3: [0, 1, 2] },
      c: { t1: [5, 6], t2: [1] },
    });
  });

  it('leaves members beyond the partition count empty and skips unknown topics', () => {
    const members = ['m1', 'm2', 'm3'].map((memberId) => ({ memberId, topics: ['t', 'gone'] }));
    expect(plain(rangeAssignor.assign(members, new Map([['t', 2]])))).toEqual({
      m1: { t: [0] },
      m2: { t: [1] },
      m3: {},
    });
  });
});

describe('roundrobin assignor', () => {
  it('deals sorted topic-partitions to sorted members, skipping the unsubscribed', () => {
    const members = [
      { memberId: 'C', topics: ['t1', 't2'] },
      { memberId: 'A', topics: ['t2', 't1'] },
      { memberId: 'B', topics: ['t1'] },
    ];
    const out = roundRobinAssignor.assign(
      members,
      new Map([
        ['t2', 4],
        ['t1', 3],
      ]),
    );
    // t1-0 A, t1-1 B, t1-2 C, t2-0 A, t2-1 (B skipped) C, t2-2 A, t2-3 (B skipped) C.
    expect(plain(out)).toEqual({
      A: { t1: [0], t2: [0, 2] },
      B: { t1: [1] },
      C: { t1: [2], t2: [1, 3] },
    });
  });

  it('spreads one topic evenly and covers every partition once', () => {
    const members = ['x', 'y'].map((memberId) => ({ memberId, topics: ['t'] }));
    const out = plain(roundRobinAssignor.assign(members, new Map([['t', 5]])));
    expect(out).toEqual({ x: { t: [0, 2, 4] }, y: { t: [1, 3] } });
  });

  it('uses the protocol names other clients use', () => {
    expect(rangeAssignor.name).toBe('range');
    expect(roundRobinAssignor.name).toBe('roundrobin');
  });
});
