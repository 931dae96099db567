/**
 * Consumer-level checks: what each consumer of the group was handed, against its assignment and
 * the group's commits.
 *
 * Per consumer and partition, from an assignment on (reset at every assignment change):
 * - it starts at the group's last commit for the partition (or anywhere in between that and a
 *   commit whose outcome is unknown) — else `resumeMismatch`, and offsets jumped over `skipped`;
 * - offsets then only go up, one message at a time — a step back is a `nonMonotonicPoll`, a step
 *   over offsets that hold messages is `skipped` (decided at the end, when the log is known);
 * - per key and producer, sequence numbers only go up (`keyReordered`); a key is in one
 *   partition only (`keySplit`).
 * Per partition, for the group as a whole: an offset the group had processed before is
 * `redelivered` when it is at or after the group's last successful commit — processed but never
 * committed, what a crash between processing and commit leaves behind — or when the reader no
 * longer owns the partition (a member fenced by a rebalance, still processing until it hears);
 * otherwise it is `redeliveredOutside`: committed work done again. A redelivery's example names
 * the fault between the offset's first read and its re-read that explains it (examples.ts), so
 * the first read is timed per block of 16 offsets.
 */
import type { CommitEvent, ReadEvent } from '../history.js';
import { type ExampleBook, REDELIVERY_CAUSES } from './examples.js';
import type { LogStream, PartitionContent } from './log-streams.js';
import { SeqClock } from './paged.js';
import type { ProducerLedger } from './producers.js';

interface PartState {
  /** Next offset expected; -1 before the first read of this assignment. */
  next: number;
  /** Acceptable first offset: the last commit, up to a commit of unknown outcome (-1: any). */
  resumeLo: number;
  resumeHi: number;
  keys: Map<string, Map<number, number>> | null;
}

interface SkipCandidate {
  consumer: string;
  pt: number;
  from: number;
  to: number;
  ts: number;
}

export class ConsumerTracker {
  private readonly consumers = new Map<string, Map<number, PartState>>();
  private readonly lastCommit = new Map<number, number>();
  private readonly uncertainCommit = new Map<number, number>();
  private readonly keyHome = new Map<string, number>();
  /** The consumer the partition was last assigned to. */
  private readonly owner = new Map<number, string>();
  /** Per partition: the consumer that read it last, and the one before (a redelivery's cause). */
  private readonly readers = new Map<number, { last: string; before?: string }>();
  /** Per partition: when its offsets were first read (by block of 16: 1/4 byte an offset). */
  private readonly firstRead = new Map<number, SeqClock>();
  private readonly splitKeys = new Set<string>();
  private readonly skips: SkipCandidate[] = [];
  redelivered = 0;
  redeliveredOutside = 0;
  nonMonotonicPoll = 0;
  resumeMismatch = 0;
  keyReordered = 0;
  /** Set by the last call of resolveSkips(). */
  skipped = 0;

  constructor(
    private readonly group: LogStream,
    private readonly book: ExampleBook,
  ) {}

  get keySplits(): number {
    return this.splitKeys.size;
  }

  /** Whether any group consumer was seen (else there is no group to check). */
  get seen(): boolean {
    return this.consumers.size > 0;
  }

  private parts(c: string): Map<number, PartState> {
    let m = this.consumers.get(c);
    if (!m) {
      m = new Map();
      this.consumers.set(c, m);
    }
    return m;
  }

  private fresh(pt: number): PartState {
    const committed = this.lastCommit.get(pt) ?? -1;
    const uncertain = Math.max(committed, this.uncertainCommit.get(pt) ?? -1);
    return { next: -1, resumeLo: committed, resumeHi: uncertain, keys: null };
  }

  assign(c: string, pts: readonly number[]): void {
    const m = this.parts(c);
    for (const pt of pts) {
      m.set(pt, this.fresh(pt));
      this.owner.set(pt, c);
    }
  }

  revoke(c: string, pts: readonly number[]): void {
    const m = this.parts(c);
    for (const pt of pts) {
      m.delete(pt);
      if (this.owner.get(pt) === c) this.owner.delete(pt);
    }
  }

  commit(e: CommitEvent): void {
    if (e.ok === false) {
      this.uncertainCommit.set(e.pt, Math.max(this.uncertainCommit.get(e.pt) ?? -1, e.o));
      return;
    }
    this.lastCommit.set(e.pt, e.o);
    this.uncertainCommit.set(e.pt, e.o);
  }

  read(e: ReadEvent, ledger: ProducerLedger, content: PartitionContent): void {
    const { c, pt, r, k, ts } = e;
    const m = this.parts(c);
    let st = m.get(pt);
    if (!st) {
      // A consumer whose assignments are not in the history (a driver without those events).
      st = this.fresh(pt);
      m.set(pt, st);
    }
    const book = this.book;
    let readers = this.readers.get(pt);
    if (!readers) this.readers.set(pt, (readers = { last: c }));
    else if (readers.last !== c) {
      readers.before = readers.last;
      readers.last = c;
    }
    let firstRead = this.firstRead.get(pt);
    if (!firstRead) this.firstRead.set(pt, (firstRead = new SeqClock(16)));
    for (let i = 0; i < r.length; i += 3) {
      const o = r[i];
      const p = r[i + 1];
      const s = r[i + 2];
      if (st.next < 0) {
        if (st.resumeLo >= 0 && (o < st.resumeLo || o > st.resumeHi)) {
          this.resumeMismatch++;
          if (book.wants('resumeMismatch'))
            book.add('resumeMismatch', {
              consumer: c,
              partition: pt,
              offset: o,
              ts,
              detail: `started at offset ${o}; the last commit was ${st.resumeLo}`,
            });
          if (o > st.resumeHi) this.skips.push({ consumer: c, pt, from: st.resumeHi, to: o, ts });
        }
      } else if (o < st.next) {
        this.nonMonotonicPoll++;
        if (book.wants('nonMonotonicPoll'))
          book.add('nonMonotonicPoll', {
            consumer: c,
            partition: pt,
            offset: o,
            ts,
            detail: `offset ${o} after offset ${st.next - 1}, without a new assignment`,
          });
      } else if (o > st.next) this.skips.push({ consumer: c, pt, from: st.next, to: o, ts });
      st.next = o + 1;
      content.record(pt, o, p, s);
      if (this.group.record(ledger, pt, o, p, s, ts, c)) firstRead.note(o, ts);
      else {
        const committed = this.lastCommit.get(pt) ?? -1;
        const owner = this.owner.get(pt);
        const fenced = owner !== undefined && owner !== c;
        const inWindow = o >= committed || fenced;
        if (inWindow) this.redelivered++;
        else this.redeliveredOutside++;
        const kind = inWindow ? 'redelivered' : 'redeliveredOutside';
        if (book.wants(kind))
          book.add(
            kind,
            {
              consumer: c,
              partition: pt,
              offset: o,
              producer: p,
              seq: s,
              ts,
              detail: fenced
                ? `offset ${o} again, by ${c} after the partition moved to ${owner}`
                : inWindow
                  ? `offset ${o} again, processed but not committed (last commit ${committed})`
                  : `offset ${o} again, below the last commit ${committed}`,
            },
            { from: firstRead.at(o), to: ts, kinds: REDELIVERY_CAUSES, target: readers.before },
          );
      }
      const key = k?.[i / 3];
      if (key !== undefined && key !== null && p >= 0) this.keyRead(c, st, pt, key, p, s, o, ts);
    }
  }

  /** Key placement and per-key order of one read record (offset -1: a driver without offsets). */
  keyRead(
    c: string,
    st: Pick<PartState, 'keys'>,
    pt: number,
    key: string,
    p: number,
    s: number,
    o: number,
    ts: number,
  ) {
    const home = this.keyHome.get(key);
    if (home === undefined) this.keyHome.set(key, pt);
    else if (home !== pt && !this.splitKeys.has(key)) {
      this.splitKeys.add(key);
      if (this.book.wants('keySplit'))
        this.book.add('keySplit', {
          partition: pt,
          ...(o >= 0 ? { offset: o } : {}),
          ts,
          detail: `key ${JSON.stringify(key)} in partitions ${home} and ${pt}`,
        });
    }
    st.keys ??= new Map();
    let byProducer = st.keys.get(key);
    if (!byProducer) {
      byProducer = new Map();
      st.keys.set(key, byProducer);
    }
    const last = byProducer.get(p) ?? -1;
    if (s < last) {
      this.keyReordered++;
      if (this.book.wants('keyReordered'))
        this.book.add('keyReordered', {
          consumer: c,
          producer: p,
          seq: s,
          partition: pt,
          ...(o >= 0 ? { offset: o } : {}),
          ts,
          detail: `key ${JSON.stringify(key)}: seq ${s} after seq ${last}`,
        });
    } else byProducer.set(p, s);
  }

  /** Counts the messages inside skipped offset ranges, once the log's content is known. */
  resolveSkips(content: PartitionContent): number {
    let total = 0;
    for (const sk of this.skips) {
      const n = content.present(sk.pt, sk.from, sk.to);
      if (n === 0) continue;
      total += n;
      if (this.book.wants('skipped'))
        this.book.add('skipped', {
          consumer: sk.consumer,
          partition: sk.pt,
          offset: sk.from,
          count: n,
          ts: sk.ts,
          detail: `${n} message(s) in offsets ${sk.from}..${sk.to - 1} never handed to it`,
        });
    }
    this.skipped = total;
    return total;
  }
}
