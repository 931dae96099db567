/**
 * The checker on histories of a driver without offsets (meta offsets:false, as RabbitMQ writes
 * them): messages known by their stamp, the engine's redelivered flag, the final read being the
 * group's own. Counts worked out by hand.
 */
import { describe, expect, it } from 'vitest';
import { LossChecker } from '../../../src/tools/verify/checker/checker.js';
import type { CheckReport } from '../../../src/tools/verify/checker/report.js';
import type { HistoryEvent, ReadEvent } from '../../../src/tools/verify/history.js';

const meta: HistoryEvent = { t: 'meta', v: 1, at: '2026-11-23T00:00:00.000Z', partitions: 2, offsets: false };

/** Producer p sends seqs [from, from+n) to pt, all acknowledged. */
function sent(p: number, from: number, n: number, pt: number): HistoryEvent[] {
  return [
    { t: 'send', ts: 1, p, s: from, n, pt },
    { t: 'ok', ts: 2, p, s: from, n, pt, o: -1 },
  ];
}

/** A read of (producer, seq) pairs; `again` = indexes flagged as redelivered. */
function read(c: string, pt: number, msgs: [number, number][], again: number[] = []): ReadEvent {
  const e: ReadEvent = { t: 'read', ts: 5, c, pt, r: msgs.flatMap(([p, s]) => [-1, p, s]) };
  if (again.length > 0) e.rd = again;
  return e;
}

const seqs = (p: number, from: number, to: number): [number, number][] =>
  Array.from({ length: to - from }, (_, i) => [p, from + i]);

function check(events: HistoryEvent[], emptied = true, expect?: 'exactly-once'): CheckReport {
  const c = new LossChecker(expect ? { expect } : {});
  for (const e of [meta, ...events]) c.add(e);
  for (const pt of [0, 1]) c.add({ t: 'drain', ts: 9, pt, end: emptied ? 0 : -1, reached: 0 });
  return c.finish();
}

describe('LossChecker without offsets', () => {
  it('clean: everything read once by the group or the final read is valid', () => {
    const r = check([
      ...sent(0, 0, 10, 0),
      ...sent(1, 0, 10, 1),
      read('c0', 0, seqs(0, 0, 6)),
      read('c1', 1, seqs(1, 0, 10)),
      read('drain', 0, seqs(0, 6, 10)),
    ]);
    expect(r.valid).toBe(true);
    expect(r.counts).toMatchObject({ sent: 20, acked: 20, read: 20, consumed: 20 });
    expect(Object.values(r.anomalies).every((n) => n === 0)).toBe(true);
    expect(r.drain).toMatchObject({ ran: true, reachedEnd: true });
    expect(r.consumerLost).toBeNull();
  });

  it('loss: certain below a later seq that was read or when the queues were emptied, else unseen', () => {
    const events = [...sent(0, 0, 10, 0), read('c0', 0, [...seqs(0, 0, 3), ...seqs(0, 5, 8)])];
    const emptied = check(events);
    expect(emptied.anomalies.lost).toBe(4);
    expect(emptied.lost).toMatchObject({ certain: 4, unseen: 0 });
    const notEmptied = check(events, false);
    // 3 and 4 lie below seq 7, which was read; 8 and 9 might only be late.
    expect(notEmptied.lost).toMatchObject({ certain: 2, unseen: 2 });
    expect(notEmptied.valid).toBe(false);
  });

  it('a stamp delivered again with the redelivered flag is a redelivery; without it, a duplicate in the queue', () => {
    const r = check([
      ...sent(0, 0, 10, 0),
      read('c0', 0, seqs(0, 0, 10)),
      read('c1', 0, seqs(0, 4, 7), [0, 1, 2]),
      read('c1', 0, [[0, 8]]),
    ]);
    expect(r.anomalies.redelivered).toBe(3);
    expect(r.anomalies.logDuplicate).toBe(1);
    expect(r.examples.logDuplicate?.[0]).toMatchObject({ producer: 0, seq: 8, consumer: 'c1' });
    expect(r.counts.consumed).toBe(10);
    expect(
      check([...sent(0, 0, 3, 0), read('c0', 0, seqs(0, 0, 3)), read('c0', 0, [[0, 1]], [0])]).valid,
    ).toBe(true);
    const strict = check(
      [...sent(0, 0, 3, 0), read('c0', 0, seqs(0, 0, 3)), read('c0', 0, [[0, 1]], [0])],
      true,
      'exactly-once',
    );
    expect(strict.valid).toBe(false);
    expect(strict.counted).toContain('redelivered');
  });

  it('order: a lower seq of one producer after a higher one, per consumer and queue; flagged redeliveries exempt', () => {
    const r = check([
      ...sent(0, 0, 10, 0),
      ...sent(1, 0, 4, 0),
      // c0: 0..4, then 7, then 5 and 6 (two late), then 8, 9; producer 1 interleaved in order.
      read('c0', 0, [...seqs(0, 0, 5), [1, 0], [0, 7], [1, 1], [0, 5], [0, 6], [0, 8], [0, 9]]),
      // c1 gets producer 1's rest; a requeued message of producer 0 may come late.
      read('c1', 0, [
        [1, 2],
        [1, 3],
      ]),
    ]);
    expect(r.anomalies.reordered).toBe(2);
    expect(r.examples.reordered?.map((e) => e.seq)).toEqual([5, 6]);
    const requeued = check([
      ...sent(0, 0, 4, 0),
      read('c0', 0, [
        [0, 0],
        [0, 2],
        [0, 3],
      ]),
      read('c0', 0, [[0, 1]], [0]),
    ]);
    expect(requeued.anomalies.reordered).toBe(0);
    expect(requeued.valid).toBe(true);
  });
});
