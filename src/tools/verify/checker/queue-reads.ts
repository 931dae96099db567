/**
 * Checks for a driver without offsets (RabbitMQ): a message is known by its stamp alone, and a
 * queue hands each consumer its messages in queue order, except those the engine flags as
 * delivered before (requeued after a consumer died, possibly behind newer ones).
 *
 * What stays checkable, and how:
 * - consumed: distinct stamps read by the group (the final read is the group's own: what the
 *   run's consumers left in the queues);
 * - redelivered: a stamp the group had read, delivered again with the engine's flag — what a
 *   crash between processing and acknowledging leaves (there are no commits to place it by);
 * - logDuplicate: a stamp the group had read, delivered again *without* the flag: the queue held
 *   a second copy (a producer's retry);
 * - reordered: per consumer, partition and producer, a sequence number below one it already had,
 *   among messages not flagged as redelivered (one producer publishes on one channel, so a queue
 *   holds its messages in sequence order);
 * - key order and key placement, as for every driver.
 * Not checkable without offsets: skipped offsets, resume positions, one message per offset.
 */
import type { ReadEvent } from '../history.js';
import type { ConsumerTracker } from './consumers.js';
import type { ExampleBook } from './examples.js';
import { GROUP, type ProducerLedger, SEEN } from './producers.js';

export class QueueReads {
  consumed = 0;
  unstamped = 0;
  redelivered = 0;
  duplicates = 0;
  reordered = 0;
  /** Per consumer and partition: the highest sequence per producer, and what the key check keeps. */
  private readonly lanes = new Map<
    string,
    { seqs: Map<number, number>; keys: null | Map<string, Map<number, number>> }
  >();
  /** Per partition and producer, the highest sequence the group read (for "certainly lost"). */
  private readonly groupMax = new Map<number, Map<number, number>>();

  constructor(
    private readonly book: ExampleBook,
    private readonly consumers: ConsumerTracker,
  ) {}

  read(e: ReadEvent, ledger: ProducerLedger): void {
    const { c, pt, r, k, ts } = e;
    const flagged = e.rd ? new Set(e.rd) : null;
    const lane = this.lane(c, pt);
    for (let i = 0; i < r.length / 3; i++) {
      const p = r[3 * i + 1];
      const s = r[3 * i + 2];
      const again = flagged?.has(i) ?? false;
      if (p < 0) {
        this.consumed++;
        this.unstamped++;
        continue;
      }
      const state = ledger.get(p);
      const old = state.flags.or(s, GROUP | SEEN);
      if (state.partition.get(s) === 0) state.partition.set(s, pt + 1);
      if (old & GROUP) {
        const kind = again ? 'redelivered' : 'logDuplicate';
        if (again) this.redelivered++;
        else this.duplicates++;
        if (this.book.wants(kind))
          this.book.add(kind, {
            consumer: c,
            partition: pt,
            producer: p,
            seq: s,
            ts,
            detail: again
              ? `producer ${p} seq ${s} delivered again (flagged as a redelivery)`
              : `producer ${p} seq ${s} delivered again as a new message: the queue held two copies`,
          });
        continue;
      }
      this.consumed++;
      let max = this.groupMax.get(pt);
      if (!max) {
        max = new Map();
        this.groupMax.set(pt, max);
      }
      if (s > (max.get(p) ?? -1)) max.set(p, s);
      if (again) continue;
      const last = lane.seqs.get(p) ?? -1;
      if (s < last) {
        this.reordered++;
        if (this.book.wants('reordered'))
          this.book.add('reordered', {
            consumer: c,
            partition: pt,
            producer: p,
            seq: s,
            ts,
            detail: `seq ${s} handed to ${c} after seq ${last} of the same producer and queue`,
          });
      } else lane.seqs.set(p, s);
      const key = k?.[i];
      if (key !== undefined && key !== null) this.consumers.keyRead(c, lane, pt, key, p, s, -1, ts);
    }
  }

  /** The highest sequence of producer `p` the group read in `pt` (-1: none). */
  laneMax(pt: number, p: number): number {
    return this.groupMax.get(pt)?.get(p) ?? -1;
  }

  private lane(c: string, pt: number) {
    const id = `${c}\u0000${pt}`;
    let l = this.lanes.get(id);
    if (!l) {
      l = { seqs: new Map(), keys: null };
      this.lanes.set(id, l);
    }
    return l;
  }
}
