/**
 * The checker on small hand-written histories: one scenario per finding, with the counts worked
 * out by hand.
 */
import { describe, expect, it, vi } from 'vitest';
import { type CheckOptions, LossChecker } from '../../../src/tools/verify/checker/checker.js';
import { ConsumerTracker } from '../../../src/tools/verify/checker/consumers.js';
import type { CheckReport } from '../../../src/tools/verify/checker/report.js';
import type { HistoryEvent } from '../../../src/tools/verify/history.js';
import { HistoryBuilder, type Rec } from './history-builder.js';

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

  it('acknowledged messages missing from the log are lost: certain when the final read got past them, unseen after', () => {
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
    // Certain: seqs 10..14 (a later seq of their producer was read), and seqs 20, 21, whose
    // offsets 0 and 1 the drain read holding producer 9's messages. Unseen: seq 22, acknowledged
    // at offset 2, where the drain never got.
    expect(r.lost).toEqual({ certain: 7, unseen: 1, readBeforeLoss: 0, indeterminate: 0 });
    expect(r.drain.reachedEnd).toBe(false);
    expect(r.valid).toBe(false);
    expect(r.examples.lost?.[0]).toMatchObject({ producer: 0, seq: 10, count: 5, partition: 0 });
    expect(r.examples.lost?.[2]).toMatchObject({ producer: 0, seq: 22, partition: 1 });
    expect(r.examples.lost?.[2].detail).toContain('the final read stopped before it');
  });

  it('an acknowledged offset that a read reached holding another message is certain loss', () => {
    const crashed = () => {
      const h = new HistoryBuilder();
      h.produce(0, 0, 5, 0); // offsets 0..4
      h.send(0, 5, 3, 0).ok(0, 5, 3, 0, 5); // acknowledged at 5..7, then lost in a crash
      // The offsets were given out again, to another producer's sends (indeterminate: not lost).
      h.send(1, 0, 6, 0).info(1, 0, 6);
      h.write(0, 1, 0, 6); // offsets 5..10
      return h;
    };
    // The final read stops at offset 7: it read offsets 5 and 6 (holding producer 1's seqs 0, 1),
    // not offset 7. No later seq of producer 0 was read, and the log end was not reached.
    const r = check(
      crashed()
        .drain([0], new Map([[0, 7]]))
        .end(),
    );
    expect(r.drain.reachedEnd).toBe(false);
    expect(r.lost).toEqual({ certain: 2, unseen: 1, readBeforeLoss: 0, indeterminate: 0 });
    expect(r.counts).toMatchObject({ acked: 8, indeterminate: 6, recovered: 2 });
    // Without a final read the group's reads are the log: they went past offsets 5..7.
    const h = crashed();
    h.assign('c0', [0]).read('c0', 0, h.records(0)).commit('c0', 0, 11);
    expect(check(h.end()).lost).toEqual({ certain: 3, unseen: 0, readBeforeLoss: 0, indeterminate: 0 });
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

  it('a send with no outcome at all (the producer died) is indeterminate: recovered when read', () => {
    const h = new HistoryBuilder();
    h.send(0, 0, 3, 0); // no ok, fail or info follows
    h.write(0, 0, 0, 2); // seqs 0, 1 made it
    h.send(0, 3, 2, 0); // nothing of this one did
    const r = check(h.drain([0]).end());
    expect(r.counts).toMatchObject({ sent: 5, acked: 0, failed: 0, indeterminate: 5, recovered: 2 });
    expect(r.anomalies.lost).toBe(0); // never acknowledged, never read: nothing was promised
    expect(r.valid).toBe(true);
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

  it('a consumer given the same partition again starts afresh, backwards or forwards', () => {
    /** With revokes, as mq's client records a rebalance; without, as a history of assignments only. */
    const history = (revokes: boolean) => {
      const h = new HistoryBuilder({ keys: 1 });
      const keyed = (recs: Rec[]) => recs.map(() => 'k');
      const read = (c: string, from: number, to: number) =>
        h.read(c, 0, h.records(0, from, to), keyed(h.records(0, from, to))).commit(c, 0, to);
      const reassign = (from: string, to: string) => (revokes ? h.revoke(from, [0]) : h).assign(to, [0]);
      h.produce(0, 0, 12, 0);
      h.assign('c0', [0]);
      h.read('c0', 0, h.records(0, 0, 6), keyed(h.records(0, 0, 6))).commit('c0', 0, 3);
      // Back: c0 processed 0..5 but committed 3; given the partition again it resumes at 3.
      reassign('c0', 'c0');
      read('c0', 3, 8);
      // Forwards: c1 had it for a while; c0 resumes at c1's commit, past where it stopped.
      reassign('c0', 'c1');
      read('c1', 8, 10);
      reassign('c1', 'c0');
      read('c0', 10, 12);
      return h.drain([0]).end();
    };
    for (const revokes of [true, false]) {
      const r = check(history(revokes));
      expect(r.anomalies, `revokes: ${revokes}`).toMatchObject({
        nonMonotonicPoll: 0,
        skipped: 0,
        resumeMismatch: 0,
        keyReordered: 0,
        redelivered: 3, // 3..5: processed, not committed
        redeliveredOutside: 0,
      });
      expect(r.valid).toBe(true);
    }
    // The control: with an assign() that does not start afresh, c0 is seen stepping back from 6
    // to 3 (and key k's seqs 3, 4 after seq 5), and over 8..9.
    const assign = vi.spyOn(ConsumerTracker.prototype, 'assign').mockImplementation(() => {});
    try {
      const stale = { nonMonotonicPoll: 1, skipped: 2, keyReordered: 2 };
      expect(check(history(false)).anomalies).toMatchObject(stale);
      const revoke = vi.spyOn(ConsumerTracker.prototype, 'revoke').mockImplementation(() => {});
      expect(check(history(true)).anomalies).toMatchObject(stale);
      revoke.mockRestore();
    } finally {
      assign.mockRestore();
    }
  });

  it('a redelivery names the fault that caused it: the crash of its first reader, not a fault nearer the re-read', () => {
    const h = new HistoryBuilder();
    h.produce(0, 0, 10, 0);
    h.assign('c0', [0]);
    h.read('c0', 0, h.records(0, 0, 4)).commit('c0', 0, 4);
    h.fault('consumer-crash', 'c9'); // a crash of a member that never read partition 0
    h.read('c0', 0, h.records(0, 4, 7)); // processed 4..6, crashed before the commit
    h.fault('consumer-crash', 'c0');
    h.fault('consumer-crash', 'c7'); // another member's crash in the window
    for (let i = 0; i < 5; i++) h.fault('broker-pause'); // faults much nearer the re-read
    h.assign('c1', [0]);
    h.read('c1', 0, h.records(0, 4, 10)).commit('c1', 0, 10);
    const r = check(h.drain([0]).end());
    expect(r.anomalies.redelivered).toBe(3);
    const ex = r.examples.redelivered ?? [];
    expect(ex).toHaveLength(3);
    for (const e of ex) expect(e.nearestFault).toMatchObject({ kind: 'consumer-crash', target: 'c0' });
    expect(ex[0].nearestFault?.deltaMs).toBeGreaterThan(0);
    // Without a fault of a kind that causes redeliveries between the first read and the re-read
    // (a consumer crash before the first read is no cause), the fault nearest to the first read
    // is named.
    const g = new HistoryBuilder();
    g.fault('consumer-crash', 'c0');
    g.produce(0, 0, 10, 0);
    g.assign('c0', [0]).read('c0', 0, g.records(0, 0, 4));
    g.fault('produce-error');
    for (let i = 0; i < 5; i++) g.commit('c0', 0, 0, false);
    g.fault('produce-response-drop');
    g.assign('c1', [0]).read('c1', 0, g.records(0, 0, 4));
    const first = check(g.end()).examples.redelivered?.[0].nearestFault;
    expect(first).toMatchObject({ kind: 'produce-error' });
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
