/**
 * Log-level checks, made on streams of reads in offset order.
 *
 * A `LogStream` is one reader's view of the log: the consumer group's first deliveries, or the
 * final drain. Each partition is read in offset order, so per (partition, producer) it is enough
 * to keep the highest sequence seen (a "lane"): a message first seen below it arrived late
 * (reordered); a message the stream has already seen, found at a new offset, is a log duplicate.
 * Offsets the stream read before (a redelivery) are not looked at again. The drain reads every
 * partition from its start, so when it ran its findings are the log's; otherwise the group's are.
 *
 * `PartitionContent` keeps a 32-bit fingerprint of the (producer, seq) first read at each offset
 * and reports offsets where a later read finds a different message (Jepsen's inconsistent
 * offsets: the same offset holding two messages, e.g. after a crash lost a tail and the offsets
 * were given out again).
 */
import type { ExampleBook } from './examples.js';
import { PagedU32 } from './paged.js';
import type { ProducerLedger } from './producers.js';
import { SEEN } from './producers.js';
import { RangeSet } from './range-set.js';
import type { Example } from './report.js';

export interface StreamFinding {
  kind: 'logDuplicate' | 'reordered';
  example: Example;
}

export class LogStream {
  /** Offsets read, per partition. */
  readonly coverage = new Map<number, RangeSet>();
  private readonly lanes = new Map<number, Map<number, number>>();
  duplicates = 0;
  reordered = 0;
  /** Distinct offsets read, and those of them without a stamp. */
  offsets = 0;
  unstamped = 0;
  /** Examples, held until the end decides whether this stream's findings are the ones reported. */
  readonly examples: StreamFinding[] = [];
  private readonly held = new Map<StreamFinding['kind'], number>();

  constructor(
    readonly name: string,
    /** The ledger flag this stream sets (GROUP or DRAIN). */
    private readonly bit: number,
    private readonly exampleLimit: number,
  ) {}

  covered(pt: number): RangeSet {
    let c = this.coverage.get(pt);
    if (!c) {
      c = new RangeSet();
      this.coverage.set(pt, c);
    }
    return c;
  }

  laneMax(pt: number, p: number): number {
    return this.lanes.get(pt)?.get(p) ?? -1;
  }

  /**
   * One record read at (pt, o). Returns false when this stream had read offset o before (the
   * caller's redelivery), true otherwise. Either way the message counts as read by this stream:
   * an offset read again may hold another message (inconsistent offsets), which was read too.
   */
  record(
    ledger: ProducerLedger,
    pt: number,
    o: number,
    p: number,
    s: number,
    ts: number,
    c: string,
  ): boolean {
    const first = this.covered(pt).add(o, o + 1) === 1;
    if (first) this.offsets++;
    if (p < 0) {
      if (first) this.unstamped++;
      return first;
    }
    const state = ledger.get(p);
    const old = state.flags.or(s, this.bit | SEEN);
    if (state.partition.get(s) === 0) state.partition.set(s, pt + 1);
    if (!first) return false;
    if (old & this.bit) {
      this.duplicates++;
      this.hold(
        'logDuplicate',
        ledger,
        p,
        s,
        pt,
        o,
        c,
        ts,
        `another copy of producer ${p} seq ${s} at offset ${o}`,
      );
      return true;
    }
    let lanes = this.lanes.get(pt);
    if (!lanes) {
      lanes = new Map();
      this.lanes.set(pt, lanes);
    }
    const max = lanes.get(p) ?? -1;
    if (s < max) {
      this.reordered++;
      this.hold(
        'reordered',
        ledger,
        p,
        s,
        pt,
        o,
        c,
        ts,
        `seq ${s} at offset ${o}, after seq ${max} at a lower offset`,
      );
    } else lanes.set(p, s);
    return true;
  }

  /**
   * Keeps an example, timed by the message's send (the fault behind a duplicate or a reorder
   * came then), not by this read, which for the drain is long after.
   */
  private hold(
    kind: StreamFinding['kind'],
    ledger: ProducerLedger,
    p: number,
    s: number,
    pt: number,
    o: number,
    c: string,
    readTs: number,
    detail: string,
  ): void {
    if ((this.held.get(kind) ?? 0) >= this.exampleLimit) return;
    this.held.set(kind, (this.held.get(kind) ?? 0) + 1);
    const state = ledger.get(p);
    const sent = [state.ackClock.at(s), state.sendClock.at(s), readTs].find((t) => !Number.isNaN(t));
    this.examples.push({
      kind,
      example: { producer: p, seq: s, partition: pt, offset: o, consumer: c, ts: sent, detail },
    });
  }

  /** Hands the held examples to the book. */
  publish(book: ExampleBook): void {
    for (const f of this.examples) if (book.wants(f.kind)) book.add(f.kind, f.example);
  }
}

/** Nonzero for every (producer, seq); 1 for a record without a stamp (never compared). */
export function fingerprint(p: number, s: number): number {
  if (p < 0) return 1;
  let h = Math.imul(p ^ 0x5bd1e995, 0x9e3779b1);
  h ^= Math.imul((s % 4294967296) | 0, 0x85ebca77);
  h ^= Math.imul(Math.floor(s / 4294967296), 0xc2b2ae3d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x27d4eb2f);
  h ^= h >>> 13;
  h >>>= 0;
  return h <= 1 ? h + 2 : h;
}

export class PartitionContent {
  private readonly fps = new Map<number, PagedU32>();
  private readonly conflicts = new Map<number, RangeSet>();
  inconsistent = 0;

  private pages(pt: number): PagedU32 {
    let f = this.fps.get(pt);
    if (!f) {
      f = new PagedU32();
      this.fps.set(pt, f);
    }
    return f;
  }

  /** Notes what was read at (pt, o); true when it contradicts an earlier read there. */
  record(pt: number, o: number, p: number, s: number): boolean {
    const f = this.pages(pt);
    const fp = fingerprint(p, s);
    const old = f.get(o);
    if (old === 0) {
      f.set(o, fp);
      return false;
    }
    if (old === fp || old === 1 || fp === 1) return false;
    let c = this.conflicts.get(pt);
    if (!c) {
      c = new RangeSet();
      this.conflicts.set(pt, c);
    }
    if (c.add(o, o + 1) === 0) return false;
    this.inconsistent++;
    return true;
  }

  /** Offsets of [from, to) in pt where some message was read. */
  present(pt: number, from: number, to: number): number {
    const f = this.fps.get(pt);
    if (!f) return 0;
    let n = 0;
    for (let o = Math.max(from, f.min); o < Math.min(to, f.end); o++) if (f.get(o) !== 0) n++;
    return n;
  }

  partitions(): number[] {
    return [...this.fps.keys()];
  }
}
