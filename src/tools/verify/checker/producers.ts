/**
 * Per producer, per sequence number: one byte of flags (what happened to the send, who read the
 * message), the partition it went to and the offset it was acknowledged at, in paged typed arrays
 * (paged.ts). That is the whole per-message state of the checker: about 7 bytes a message, no
 * object per message.
 *
 * At the end, one pass over the flags classifies every message: acknowledged / failed /
 * indeterminate, recovered, lost (certain or unseen), failed-but-read, unexpected.
 */
import { PagedBytes, PagedU16, PagedU32, SeqClock } from './paged.js';
import type { CheckReport } from './report.js';

export const INVOKED = 1;
export const ACKED = 2;
export const FAILED = 4;
export const INFO = 8;
/** Processed by a consumer of the group. */
export const GROUP = 16;
/** Read by the final drain. */
export const DRAIN = 32;
/** Read by anyone. */
export const SEEN = 64;
/** Already counted as lost by consumers (a second copy must not count again). */
export const CONSUMER_LOST = 128;

const OUTCOME = ACKED | FAILED | INFO;
/** Acknowledged offsets are kept in 32 bits; those beyond are treated as unknown. */
const MAX_OFFSET = 0xffff_fffe;

export class ProducerState {
  readonly flags = new PagedBytes();
  /** Partition + 1 (0 = not known). */
  readonly partition = new PagedU16();
  /** Acknowledged offset + 1 (0 = not acknowledged, unknown, or beyond 2^32 - 2). */
  readonly offset = new PagedU32();
  readonly sendClock = new SeqClock();
  readonly ackClock = new SeqClock();

  constructor(readonly id: number) {}
}

export interface LiveProducerCounts {
  sent: number;
  acked: number;
  failed: number;
  indeterminate: number;
}

/** What the final pass needs to know about the reads, per (partition, producer). */
export interface LossContext {
  drainRan: boolean;
  /** The drain read partition `pt` to its log end. */
  drainReachedEnd(pt: number): boolean;
  drainReachedAllEnds: boolean;
  /** Highest seq of producer p read in pt by the authoritative reader (drain, else group); -1 none. */
  laneMax(pt: number, p: number): number;
  /** One past the highest offset of pt the authoritative reader read (-Infinity: none). */
  readEnd(pt: number): number;
}

export interface MessageClass {
  producer: number;
  seq: number;
  partition: number;
  acked: boolean;
  readDuringRun: boolean;
  certain: boolean;
  ts: number;
}

export interface ProducerTotals extends Omit<CheckReport['counts'], 'unstamped'> {
  lostCertain: number;
  lostUnseen: number;
  lostReadBefore: number;
  lostIndeterminate: number;
  failedButRead: number;
  unexpected: number;
}

export class ProducerLedger {
  private readonly producers = new Map<number, ProducerState>();
  private last: ProducerState | null = null;
  readonly live: LiveProducerCounts = { sent: 0, acked: 0, failed: 0, indeterminate: 0 };

  get(id: number): ProducerState {
    const l = this.last;
    if (l !== null && l.id === id) return l;
    let p = this.producers.get(id);
    if (!p) {
      p = new ProducerState(id);
      this.producers.set(id, p);
    }
    this.last = p;
    return p;
  }

  ids(): number[] {
    return [...this.producers.keys()].sort((a, b) => a - b);
  }

  invoked(id: number, s: number, n: number, pt: number | undefined, ts: number): void {
    const p = this.get(id);
    p.sendClock.note(s, ts);
    for (let i = 0; i < n; i++) {
      const old = p.flags.or(s + i, INVOKED);
      if ((old & INVOKED) === 0) this.live.sent++;
      if (pt !== undefined && pt >= 0) p.partition.set(s + i, pt + 1);
    }
  }

  /** `o`: the first acknowledged offset (ok only; -1 unknown). */
  outcome(
    kind: 'ok' | 'fail' | 'info',
    id: number,
    s: number,
    n: number,
    pt: number | undefined,
    ts: number,
    o?: number,
  ): void {
    const p = this.get(id);
    const bit = kind === 'ok' ? ACKED : kind === 'fail' ? FAILED : INFO;
    if (kind === 'ok') p.ackClock.note(s, ts);
    else p.sendClock.note(s, ts);
    for (let i = 0; i < n; i++) {
      const old = p.flags.or(s + i, bit | INVOKED);
      if ((old & INVOKED) === 0) this.live.sent++;
      if ((old & OUTCOME) === 0) {
        if (kind === 'ok') this.live.acked++;
        else if (kind === 'fail') this.live.failed++;
        else this.live.indeterminate++;
      } else if (kind === 'ok' && (old & ACKED) === 0) {
        // Acknowledged after an earlier 'info' (a user's producer may report both).
        this.live.acked++;
        if (old & INFO) this.live.indeterminate--;
        if (old & FAILED) this.live.failed--;
      }
      if (pt !== undefined && pt >= 0) p.partition.set(s + i, pt + 1);
      if (o !== undefined && o >= 0 && o + i < MAX_OFFSET) p.offset.set(s + i, o + i + 1);
    }
  }

  /**
   * The final pass. `onLost` and `onOther` see each finding (for examples); the totals count
   * them all.
   */
  classify(
    ctx: LossContext,
    onLost: (m: MessageClass) => void,
    onOther: (kind: 'failedButRead' | 'unexpected', producer: number, seq: number, pt: number) => void,
  ): ProducerTotals {
    const t: ProducerTotals = {
      sent: 0,
      acked: 0,
      failed: 0,
      indeterminate: 0,
      recovered: 0,
      read: 0,
      consumed: 0,
      lostCertain: 0,
      lostUnseen: 0,
      lostReadBefore: 0,
      lostIndeterminate: 0,
      failedButRead: 0,
      unexpected: 0,
    };
    const inLogBit = ctx.drainRan ? DRAIN : SEEN;
    for (const id of this.ids()) {
      const p = this.producers.get(id)!;
      let maxReadSeq = -1;
      for (const [base, page] of p.flags.allPages()) {
        for (let i = page.length - 1; i >= 0; i--) {
          if (page[i] & inLogBit) {
            maxReadSeq = Math.max(maxReadSeq, base + i);
            break;
          }
        }
      }
      for (const [base, page] of p.flags.allPages()) {
        for (let i = 0; i < page.length; i++) {
          const f = page[i];
          if (f === 0) continue;
          const seq = base + i;
          const sent = (f & (INVOKED | OUTCOME)) !== 0;
          if (f & SEEN) t.read++;
          if (f & GROUP) t.consumed++;
          if (!sent) {
            if (f & SEEN) {
              t.unexpected++;
              onOther('unexpected', id, seq, p.partition.get(seq) - 1);
            }
            continue;
          }
          t.sent++;
          const acked = (f & ACKED) !== 0;
          if (acked) t.acked++;
          else if (f & FAILED) {
            t.failed++;
            if (f & SEEN) {
              t.failedButRead++;
              onOther('failedButRead', id, seq, p.partition.get(seq) - 1);
            }
            continue;
          } else {
            t.indeterminate++;
            if (f & SEEN) t.recovered++;
          }
          // A candidate for loss: acknowledged, or indeterminate but seen during the run.
          if (!acked && (f & SEEN) === 0) continue;
          if (f & inLogBit) continue;
          const pt = p.partition.get(seq) - 1;
          // Certain: the reader got past it — to the log end, to a later message of its producer
          // there, or to (or beyond) the offset it was acknowledged at, which then held another
          // message or none. Unseen: the reader stopped before any of that.
          const offset1 = p.offset.get(seq);
          const certain =
            pt >= 0
              ? ctx.drainReachedEnd(pt) ||
                seq < ctx.laneMax(pt, id) ||
                (offset1 > 0 && offset1 - 1 < ctx.readEnd(pt))
              : ctx.drainReachedAllEnds || seq < maxReadSeq;
          if (certain) t.lostCertain++;
          else t.lostUnseen++;
          const readDuringRun = (f & SEEN) !== 0;
          if (readDuringRun) t.lostReadBefore++;
          if (!acked) t.lostIndeterminate++;
          const ts = acked ? p.ackClock.at(seq) : p.sendClock.at(seq);
          onLost({ producer: id, seq, partition: pt, acked, readDuringRun, certain, ts });
        }
      }
    }
    return t;
  }
}
