/**
 * The checker on small hand-written histories: one scenario per finding, with the counts worked
 * out by hand.
 */
import { describe, expect, it } from 'vitest';
import { type CheckOptions, LossChecker } from '../../../src/tools/verify/checker/checker.js';
import type { CheckReport } from '../../../src/tools/verify/checker/report.js';
import type { HistoryEvent } from '../../../src/tools/verify/history.js';
import { HistoryBuilder } from './history-builder.js';

function check(events: HistoryEvent[], opts: CheckOptions = {}): CheckReport {
  const c = new LossChecker(opts);
  for (const e of events) c.add(e);
  return c.finish();
}

/** Two producers, two partitions, 10 messages each per partition, all read by c0 and the drain. */
function clean(): HistoryBuilder {
  const h = new HistoryBuilder({ idempotent: true });
  h.assign('c0', [0, 1]);
  for (let round = 0; round < 2; round++) {
    for (const p of [0, 1]) h.produce(p, round * 10, 5, 0).produce(p, round * 10 + 5, 5, 1);
  }
  for (const pt of [0, 1]) {
    h.read('c0', pt, h.records(pt)).commit('c0', pt, 20);
  }
  return h;
}

describe('LossChecker', () => {
  it('a clean history is valid, with the counts of what happened', () => {
    const r = check(clean().drain().end());
    expect(r.valid).toBe(true);
    expect(r.counts).toMatchObject({ sent: 40, acked: 40, read: 40, consumed: 40, indeterminate: 0 });
    expect(Object.values(r.anomalies).every((n) => n === 0)).toBe(true);
    expect(r.drain).toMatchObject({ ran: true, reachedEnd: true });
    expect(r.consumerLost).toEqual({ certain: 0, unseen: 0 });
  });

  it('acknowledged messages missing from the log are lost: certain below what was read, unseen after', () => {
    const h = new HistoryBuilder();
    h.produce(0, 0, 10, 0);
    // Acknowledged at offsets 10..14, but the broker lost them: not in the log.
    h.send(0, 10, 5, 0).ok(0, 10, 5, 0, 10);
    h.produce(0, 15, 5, 0); // written at 10..14 (the offsets were given out again)
    h.send(0, 20, 3, 1).ok(0, 20, 3, 1, 0); // lost at the end of partition 1
    h.write(1, 9, 0, 4); // someone else's messages in partition 1
    const stop = new Map([[1, 2]]); // the drain read only 2 of partition 1's 4 offsets
    const r = check(h.drain([0, 1], stop).end());
    expect(r.anomalies.lost).toBe(8);
    expect(r.lost).toEqual({ certain: 5, unseen: 3, readBeforeLoss: 0, indeterminate: 0 });
    expect(r.drain.reachedEnd).toBe(false);
    expect(r.valid).toBe(false);
    expect(r.examples.lost?.[0]).toMatchObject({ producer: 0, seq: 10, count: 5, partition: 0 });
  });

  it('indeterminate sends: recovered when read, lost when read during the run and gone from the log', () => {
    const h = new HistoryBuilder();
    h.send(0, 0, 4, 0).info(0, 0, 4);
    h.write(0, 0, 0, 2); // seqs 0, 1 made it
    h.read('c0', 0, [
      [0, 0, 0],
      [1, 0, 1],
    ]);
    h.send(0, 4, 2, 0).info(0, 4, 2);
    // seq 4 was read during the run at offset 2, then lost in a crash.
    h.read('c0', 0, [[2, 0, 4]]);
    const r = check(h.drain([0]).end());
    expect(r.counts).toMatchObject({ sent: 6, indeterminate: 6, recovered: 3, acked: 0 });
    expect(r.anomalies.lost).toBe(1);
    expect(r.lost).toMatchObject({ indeterminate: 1, readBeforeLoss: 1 });
    // Offset 2 was read holding seq 4 and, by the drain, holding nothing: no conflict to report.
    expect(r.anomalies.inconsistentOffset).toBe(0);
  });

  it('log duplicates count each extra copy once, however often it is read', () => {
    const h = new HistoryBuilder({ idempotent: false });
    h.send(0, 0, 5, 0);
    h.write(0, 0, 0, 5); // first attempt written, its ack lost
    const o = h.write(0, 0, 0, 5); // the retry written again
    h.ok(0, 0, 5, 0, o);
    h.read('c0', 0, h.records(0));
    h.read('c1', 0, h.records(0)); // another consumer re-reads: redelivery, not more duplicates
    const r = check(h.drain([0]).end());
    expect(r.anomalies.logDuplicate).toBe(5);
    expect(r.anomalies.lost).toBe(0);
    // Non-idempotent at-least-once: duplicates are allowed.
    expect(r.counted).not.toContain('logDuplicate');
    expect(check(h.events, { expect: 'exactly-once' }).counted).toContain('logDuplicate');
    const idem = check([{ ...h.events[0], idempotent: true } as HistoryEvent, ...h.events.slice(1)]);
    expect(idem.counted).toContain('logDuplicate');
  });

  it('redelivery of processed, uncommitted offsets is allowed at-least-once, reported exactly-once', () => {
    const h = new HistoryBuilder();
    h.produce(0, 0, 10, 0);
    h.assign('c0', [0]);
    h.read('c0', 0, h.records(0, 0, 4)).commit('c0', 0, 4);
    h.read('c0', 0, h.records(0, 4, 7)); // processed 4..6, crashed before the commit
    h.fault('consumer-crash', 'c0');
    h.assign('c1', [0]);
    h.read('c1', 0, h.records(0, 4, 10)).commit('c1', 0, 10);
    const events = h.drain([0]).end();
    const alo = check(events);
    expect(alo.anomalies.redelivered).toBe(3);
    expect(alo.anomalies.redeliveredOutside).toBe(0);
    expect(alo.valid).toBe(true);
    const eos = check(events, { expect: 'exactly-once' });
    expect(eos.valid).toBe(false);
    expect(eos.counted).toEqual(['redelivered']);
    expect(eos.examples.redelivered?.[0].nearestFault).toMatchObject({
      kind: 'consumer-crash',
      target: 'c0',
    });
  });

  it('redelivery below the last commit is committed work done again, and the resume is wrong', () => {
    const h = new HistoryBuilder();
    h.produce(0, 0, 10, 0);
    h.assign('c0', [0]);
    h.read('c0', 0, h.records(0, 0, 6)).commit('c0', 0, 6);
    h.revoke('c0', [0]).assign('c1', [0]);
    h.read('c1', 0, h.records(0, 2, 10));
    const r = check(h.drain([0]).end());
    expect(r.anomalies.redeliveredOutside).toBe(4);
    expect(r.anomalies.resumeMismatch).toBe(1);
    expect(r.valid).toBe(false);
  });

  it('a fenced member processing after its partition moved: a redelivery, not committed work', () => {
    const h = new HistoryBuilder();
    h.produce(0, 0, 10, 0);
    h.assign('c0', [0]);
    h.read('c0', 0, h.records(0, 0, 4)).commit('c0', 0, 4);
    h.assign('c1', [0]); // the group moved on; c0 has not heard yet
    h.read('c0', 0, h.records(0, 4, 8)).commit('c0', 0, 8, false); // fenced: the commit fails
    h.revoke('c0', [0]);
    h.read('c1', 0, h.records(0, 4, 10)).commit('c1', 0, 10);
    const r = check(h.drain([0]).end());
    expect(r.anomalies.redelivered).toBe(4);
    expect(r.anomalies.redeliveredOutside).toBe(0);
    expect(r.valid).toBe(true);
  });

  it('a fenced member still processing after the new owner committed: a redelivery too', () => {
    const h = new HistoryBuilder();
    h.produce(0, 0, 10, 0);
    h.assign('c0', [0]);
    h.read('c0', 0, h.records(0, 0, 4)).commit('c0', 0, 4);
    h.assign('c1', [0]);
    h.read('c1', 0, h.records(0, 4, 10)).commit('c1', 0, 10);
    h.read('c0', 0, h.records(0, 4, 8)).commit('c0', 0, 8, false);
    const r = check(h.drain([0]).end());
    expect(r.anomalies.redelivered).toBe(4);
    expect(r.anomalies.redeliveredOutside).toBe(0);
    expect(r.examples.redelivered?.[0].detail).toContain('after the partition moved to c1');
  });

  it('a commit of unknown outcome widens where a consumer may resume', () => {
    const h = new HistoryBuilder();
    h.produce(0, 0, 10, 0);
    h.assign('c0', [0]);
    h.read('c0', 0, h.records(0, 0, 6))
      .commit('c0', 0, 3)
      .commit('c0', 0, 6, false);
    h.assign('c1', [0]);
    h.read('c1', 0, h.records(0, 6, 10));
    const r = check(h.drain([0]).end());
    expect(r.anomalies.resumeMismatch).toBe(0);
    expect(r.anomalies.skipped).toBe(0);
    expect(r.valid).toBe(true);
  });

  it('messages after a higher seq of the same producer in a partition are reordered', () => {
    const h = new HistoryBuilder({ idempotent: false });
    h.send(0, 0, 10, 0).send(0, 10, 10, 0);
    const b = h.write(0, 0, 10, 10);
    h.ok(0, 10, 10, 0, b);
    const a = h.write(0, 0, 0, 10); // the failed first batch, retried after the second
    h.ok(0, 0, 10, 0, a);
    h.produce(1, 0, 5, 0); // another producer interleaved: not a reorder
    h.read('c0', 0, h.records(0));
    const r = check(h.drain([0]).end());
    expect(r.anomalies.reordered).toBe(10);
    expect(r.anomalies.logDuplicate).toBe(0);
    expect(r.examples.reordered?.[0]).toMatchObject({ producer: 0, seq: 0, offset: 10 });
  });

  it('an offset read with two different messages is inconsistent', () => {
    const h = new HistoryBuilder();
    h.produce(0, 0, 3, 0);
    h.read('c0', 0, h.records(0));
    // The broker lost offsets 1..2 and gave them to new messages.
    const l = h.log.get(0)!;
    l.length = 1;
    h.produce(0, 3, 2, 0);
    const r = check(h.drain([0]).end());
    expect(r.anomalies.inconsistentOffset).toBe(2);
    expect(r.anomalies.lost).toBe(2);
    expect(r.lost.readBeforeLoss).toBe(2);
  });

  it('consumer positions: going back, skipping over messages', () => {
    const h = new HistoryBuilder();
    h.produce(0, 0, 10, 0);
    h.assign('c0', [0]);
    h.read('c0', 0, h.records(0, 0, 5));
    h.read('c0', 0, h.records(0, 3, 4)); // back to offset 3
    h.read('c0', 0, h.records(0, 7, 10)); // skipped 4..6
    const r = check(h.drain([0]).end());
    expect(r.anomalies.nonMonotonicPoll).toBe(1);
    expect(r.anomalies.skipped).toBe(3);
    expect(r.anomalies.redelivered).toBe(1); // nothing was committed: not committed work
    expect(r.anomalies.consumerLost).toBe(2); // offsets 5 and 6 (4 was processed before the jump back)
  });

  it('messages in the log the group never processed are lost by consumers (at-most-once allows it)', () => {
    const h = new HistoryBuilder();
    h.produce(0, 0, 10, 0);
    h.assign('c0', [0]);
    h.read('c0', 0, h.records(0, 0, 4)).commit('c0', 0, 4);
    h.commit('c0', 0, 7); // committed before processing 4..6, then crashed
    h.fault('consumer-crash', 'c0');
    h.assign('c1', [0]);
    h.produce(0, 10, 2, 0);
    h.read('c1', 0, h.records(0, 7, 10)).commit('c1', 0, 10);
    const events = h.drain([0]).end();
    const r = check(events);
    expect(r.consumerLost).toEqual({ certain: 3, unseen: 2 });
    expect(r.anomalies.consumerLost).toBe(5);
    expect(r.anomalies.resumeMismatch).toBe(0);
    expect(r.valid).toBe(false);
    expect(check(events, { expect: 'at-most-once' }).valid).toBe(true);
  });

  it('keys: order per key and producer at a consumer, one partition per key', () => {
    const h = new HistoryBuilder({ keys: 2 });
    h.produce(0, 0, 4, 0).produce(0, 4, 1, 1);
    h.read(
      'c0',
      0,
      [
        [0, 0, 0],
        [1, 0, 2],
        [2, 0, 1],
        [3, 0, 3],
      ],
      ['a', 'a', 'a', 'b'],
    );
    h.read('c0', 1, [[0, 0, 4]], ['b']);
    const r = check(h.events);
    expect(r.anomalies.keyReordered).toBe(1);
    expect(r.anomalies.keySplit).toBe(1);
  });

  it('a send that failed definitely but was read, and a message nobody sent', () => {
    const h = new HistoryBuilder();
    h.send(0, 0, 2, 0).fail(0, 0, 2);
    h.write(0, 0, 0, 1);
    h.write(0, 7, 0, 1);
    h.write(0, -1, 0, 1); // unstamped
    const r = check(h.drain([0]).end());
    expect(r.anomalies.failedButRead).toBe(1);
    expect(r.anomalies.unexpected).toBe(1);
    expect(r.counts.unstamped).toBe(1);
    expect(r.counts.failed).toBe(2);
  });

  it('without a drain, reads by the group are what is in the log', () => {
    const h = new HistoryBuilder();
    h.produce(0, 0, 10, 0);
    h.send(0, 10, 2, 0).ok(0, 10, 2, 0, 10);
    h.produce(0, 12, 3, 0);
    h.read('c0', 0, h.records(0));
    const r = check(h.end());
    expect(r.drain.ran).toBe(false);
    expect(r.anomalies.lost).toBe(2);
    expect(r.lost.certain).toBe(2);
    expect(r.consumerLost).toBeNull();
  });

  it('examples: a limit per kind, all of them with Infinity', () => {
    const h = new HistoryBuilder();
    for (let i = 0; i < 20; i++) h.send(0, i * 2, 1, 0).ok(0, i * 2, 1, 0, i);
    for (let i = 0; i < 20; i++) h.write(0, 1, i, 1);
    const events = h.drain([0]).end();
    expect(check(events).examples.lost).toHaveLength(5);
    expect(check(events, { examples: Number.POSITIVE_INFINITY }).examples.lost).toHaveLength(20);
  });

  it('live counts follow the events', () => {
    const c = new LossChecker();
    const h = clean();
    for (const e of h.events) c.add(e);
    expect(c.live()).toMatchObject({ sent: 40, acked: 40, consumed: 40, anomalies: 0 });
  });
});
