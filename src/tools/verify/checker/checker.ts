/**
 * The loss checker: a pure function of a history, fed one event at a time (so the same code runs
 * live during `mq verify-loss` and offline in `mq check`), with memory bounded by a few bytes per
 * message and by the number of holes in what was read, never by a set of messages.
 *
 * Anchored on Jepsen's Kafka checker. Sends are acknowledged, failed or indeterminate. "In the
 * log" means read by the final drain when there was one (it reads every partition to its end),
 * else read by anyone. Then:
 * - lost: acknowledged (or indeterminate but read during the run) and not in the log — certain
 *   when the final read got past it (to the log end, to a later message of its producer in its
 *   partition, or to the offset it was acknowledged at), unseen when it stopped before (maybe
 *   only late);
 * - recovered: indeterminate and read;
 * - lost by consumers: in the log, never processed by the group;
 * - log checks on the drain's stream (else the group's): duplicates and order (log-streams.ts);
 * - offsets holding two messages; consumer positions, redeliveries and key order (consumers.ts).
 */

import type { Guarantee, HistoryEvent, MetaEvent, ReadEvent } from '../history.js';
import { DRAIN_CONSUMER } from '../history.js';
import type { HistorySink } from '../history-file.js';
import { ConsumerTracker } from './consumers.js';
import { ExampleBook } from './examples.js';
import { LogStream, PartitionContent } from './log-streams.js';
import {
  ACKED,
  CONSUMER_LOST,
  DRAIN,
  FAILED,
  GROUP,
  INFO,
  INVOKED,
  type MessageClass,
  ProducerLedger,
} from './producers.js';
import { QueueReads } from './queue-reads.js';
import { type AnomalyKind, type CheckReport, type DrainStatus, emptyAnomalies, isAnomaly } from './report.js';

export interface CheckOptions {
  /** The declared guarantee; default: the history's, else at-least-once. */
  expect?: Guarantee;
  /** Examples kept per anomaly kind (default 5); Infinity = all. */
  examples?: number;
}

export interface LiveCounts {
  sent: number;
  acked: number;
  failed: number;
  indeterminate: number;
  consumed: number;
  /** Anomalies found so far that count under the guarantee (loss is only known at the end). */
  anomalies: number;
}

const SENT = INVOKED | ACKED | FAILED | INFO;

export class LossChecker implements HistorySink {
  private meta: MetaEvent | null = null;
  private events = 0;
  private readonly limit: number;
  private readonly ledger = new ProducerLedger();
  private readonly book: ExampleBook;
  private readonly groupStream: LogStream;
  private readonly drainStream: LogStream;
  private readonly content = new PartitionContent();
  private readonly consumers: ConsumerTracker;
  /** Set by a meta line saying the driver has no offsets: reads are checked by QueueReads. */
  private queue: QueueReads | null = null;
  private readonly drains = new Map<number, { end: number; reached: number }>();
  private drainRead = false;
  private consumerLostCertain = 0;
  private consumerLostUnseen = 0;

  constructor(private readonly opts: CheckOptions = {}) {
    this.limit = opts.examples ?? 5;
    this.book = new ExampleBook(this.limit);
    this.groupStream = new LogStream('group', GROUP, this.limit);
    this.drainStream = new LogStream('drain', DRAIN, this.limit);
    this.consumers = new ConsumerTracker(this.groupStream, this.book);
  }

  write(e: HistoryEvent): void {
    this.add(e);
  }

  add(e: HistoryEvent): void {
    this.events++;
    switch (e.t) {
      case 'meta':
        this.meta = e;
        if (e.offsets === false) this.queue ??= new QueueReads(this.book, this.consumers);
        break;
      case 'send':
        this.ledger.invoked(e.p, e.s, e.n ?? 1, e.pt, e.ts);
        break;
      case 'ok':
      case 'fail':
      case 'info':
        if (e.t === 'ok') this.ledger.outcome('ok', e.p, e.s, e.n ?? 1, e.pt, e.ts, e.o);
        else this.ledger.outcome(e.t, e.p, e.s, e.n ?? 1, undefined, e.ts);
        break;
      case 'read':
        // Without offsets the final read is the group's own, of what its consumers left.
        if (this.queue) this.queue.read(e, this.ledger);
        else if (e.c === DRAIN_CONSUMER) this.drainReadEvent(e);
        else this.groupRead(e);
        break;
      case 'commit':
        this.consumers.commit(e);
        break;
      case 'assign':
        this.consumers.assign(e.c, e.pts);
        break;
      case 'revoke':
        this.consumers.revoke(e.c, e.pts);
        break;
      case 'fault':
        this.book.noteFault(e);
        break;
      case 'drain':
        this.drains.set(e.pt, { end: e.end, reached: e.reached });
        break;
      case 'end':
        break;
    }
  }

  private groupRead(e: ReadEvent): void {
    this.consumers.read(e, this.ledger, this.content);
  }

  private drainReadEvent(e: ReadEvent): void {
    this.drainRead = true;
    const { pt, r, ts } = e;
    const group = this.consumers.seen;
    const groupEnd = this.groupStream.covered(pt).max;
    for (let i = 0; i < r.length; i += 3) {
      const o = r[i];
      const p = r[i + 1];
      const s = r[i + 2];
      this.content.record(pt, o, p, s);
      if (!this.drainStream.record(this.ledger, pt, o, p, s, ts, DRAIN_CONSUMER)) continue;
      if (p < 0 || !group) continue;
      const flags = this.ledger.get(p).flags;
      const f = flags.get(s);
      if (f & (GROUP | CONSUMER_LOST) || (f & SENT) === 0) continue;
      flags.or(s, CONSUMER_LOST);
      const certain = o < groupEnd;
      if (certain) this.consumerLostCertain++;
      else this.consumerLostUnseen++;
      if (this.book.wants('consumerLost'))
        this.book.add('consumerLost', {
          producer: p,
          seq: s,
          partition: pt,
          offset: o,
          ts: this.ledger.get(p).ackClock.at(s),
          detail: certain
            ? `in the log at offset ${o}, below offsets the group processed, never processed`
            : `in the log at offset ${o}, after the last offset the group processed (unseen)`,
        });
    }
  }

  /** Counts so far, for the live view. */
  live(): LiveCounts {
    const a = this.partialAnomalies();
    const expect = this.expectation();
    const idem = this.meta?.idempotent ?? null;
    let anomalies = 0;
    for (const k of Object.keys(a) as AnomalyKind[]) if (isAnomaly(k, expect, idem)) anomalies += a[k];
    const consumed = this.queue ? this.queue.consumed : this.groupStream.offsets;
    return { ...this.ledger.live, consumed, anomalies };
  }

  /** One past the highest offset of `pt` the group processed (-Infinity: none). */
  groupReach(pt: number): number {
    if (this.queue) return Number.NEGATIVE_INFINITY;
    return this.groupStream.covered(pt).max;
  }

  private expectation(): Guarantee {
    return this.opts.expect ?? this.meta?.expect ?? 'at-least-once';
  }

  private partialAnomalies(): Record<AnomalyKind, number> {
    const a = emptyAnomalies();
    const stream = this.drainRead ? this.drainStream : this.groupStream;
    a.logDuplicate = stream.duplicates;
    a.reordered = stream.reordered;
    a.redelivered = this.consumers.redelivered;
    a.redeliveredOutside = this.consumers.redeliveredOutside;
    a.nonMonotonicPoll = this.consumers.nonMonotonicPoll;
    a.resumeMismatch = this.consumers.resumeMismatch;
    a.keyReordered = this.consumers.keyReordered;
    a.keySplit = this.consumers.keySplits;
    a.inconsistentOffset = this.content.inconsistent;
    a.consumerLost = this.consumerLostCertain + this.consumerLostUnseen;
    const q = this.queue;
    if (q) {
      a.logDuplicate = q.duplicates;
      a.reordered = q.reordered;
      a.redelivered = q.redelivered;
    }
    return a;
  }

  finish(): CheckReport {
    const expect = this.expectation();
    const idempotent = this.meta?.idempotent ?? null;
    const q = this.queue;
    const drainRan = this.drainRead || this.drains.size > 0;
    const partitionCount = this.meta?.partitions ?? Math.max(-1, ...this.drains.keys()) + 1;
    const reached = (pt: number) => {
      const d = this.drains.get(pt);
      return d !== undefined && d.end >= 0 && d.reached >= d.end;
    };
    let allEnds = drainRan && this.drains.size > 0;
    for (let pt = 0; pt < partitionCount && allEnds; pt++) allEnds = reached(pt);
    const authority = drainRan ? this.drainStream : this.groupStream;
    const lostRuns = new RunExamples(this.book, 'lost');
    const otherRuns = new Map<string, RunExamples>();
    const totals = this.ledger.classify(
      {
        // Without offsets the final read took what was left: in the log = read by anyone.
        drainRan: drainRan && !q,
        drainReachedEnd: reached,
        drainReachedAllEnds: allEnds,
        laneMax: (pt, p) => (q ? q.laneMax(pt, p) : authority.laneMax(pt, p)),
        readEnd: (pt) => (q ? Number.NEGATIVE_INFINITY : authority.covered(pt).max),
      },
      (m) => lostRuns.add(m, lostDetail(m)),
      (kind, producer, seq, partition) => {
        let runs = otherRuns.get(kind);
        if (!runs) {
          runs = new RunExamples(this.book, kind);
          otherRuns.set(kind, runs);
        }
        const m = {
          producer,
          seq,
          partition,
          acked: false,
          readDuringRun: true,
          certain: true,
          ts: Number.NaN,
        };
        runs.add(m, kind === 'unexpected' ? 'read, but never sent' : 'send failed, yet read');
      },
    );
    lostRuns.flush();
    for (const r of otherRuns.values()) r.flush();
    this.consumers.resolveSkips(this.content);
    authority.publish(this.book);

    const anomalies = this.partialAnomalies();
    if (!q) {
      anomalies.logDuplicate = authority.duplicates;
      anomalies.reordered = authority.reordered;
    }
    anomalies.lost = totals.lostCertain + totals.lostUnseen;
    anomalies.skipped = this.consumers.skipped;
    anomalies.failedButRead = totals.failedButRead;
    anomalies.unexpected = totals.unexpected;
    const counted = (Object.keys(anomalies) as AnomalyKind[]).filter(
      (k) => anomalies[k] > 0 && isAnomaly(k, expect, idempotent),
    );
    const group = this.consumers.seen;
    return {
      valid: counted.length === 0,
      expect,
      idempotent,
      events: this.events,
      counts: {
        sent: totals.sent,
        acked: totals.acked,
        failed: totals.failed,
        indeterminate: totals.indeterminate,
        recovered: totals.recovered,
        read: totals.read,
        consumed: totals.consumed,
        unstamped: q ? q.unstamped : authority.unstamped,
      },
      anomalies,
      counted,
      lost: {
        certain: totals.lostCertain,
        unseen: totals.lostUnseen,
        readBeforeLoss: totals.lostReadBefore,
        indeterminate: totals.lostIndeterminate,
      },
      consumerLost:
        group && drainRan && !q
          ? { certain: this.consumerLostCertain, unseen: this.consumerLostUnseen }
          : null,
      drain: {
        ran: drainRan,
        reachedEnd: allEnds,
        partitions: drainRan ? drainStatusOf(this.drains, partitionCount) : [],
      },
      faults: this.book.faultCounts(),
      examples: this.book.all(),
    };
  }
}

/** Per partition of the topic: where the final read ended; end -1 / reached -1 when unknown. */
function drainStatusOf(
  drains: Map<number, { end: number; reached: number }>,
  partitions: number,
): DrainStatus['partitions'] {
  const out = [...drains].map(([partition, d]) => ({ partition, end: d.end, reached: d.reached }));
  for (let pt = 0; pt < partitions; pt++)
    if (!drains.has(pt)) out.push({ partition: pt, end: -1, reached: -1 });
  return out.sort((a, b) => a.partition - b.partition);
}

function lostDetail(m: MessageClass): string {
  const what = m.acked ? 'acknowledged' : 'indeterminate, read during the run';
  const where = m.certain ? 'not in the log' : 'not seen: the final read stopped before it';
  return `${what}, ${where}${m.acked && m.readDuringRun ? ' (read during the run, then gone)' : ''}`;
}

/** Folds consecutive findings (same producer, partition and description) into one example. */
class RunExamples {
  private cur: { m: MessageClass; count: number; detail: string } | null = null;

  constructor(
    private readonly book: ExampleBook,
    private readonly kind: AnomalyKind,
  ) {}

  add(m: MessageClass, detail: string): void {
    const c = this.cur;
    if (
      c &&
      c.m.producer === m.producer &&
      c.m.partition === m.partition &&
      c.detail === detail &&
      c.m.seq + c.count === m.seq
    ) {
      c.count++;
      return;
    }
    this.flush();
    if (this.book.wants(this.kind)) this.cur = { m, count: 1, detail };
  }

  flush(): void {
    const c = this.cur;
    if (!c) return;
    this.cur = null;
    this.book.add(this.kind, {
      producer: c.m.producer,
      seq: c.m.seq,
      count: c.count,
      ...(c.m.partition >= 0 ? { partition: c.m.partition } : {}),
      ts: c.m.ts,
      detail: c.count > 1 ? `seqs ${c.m.seq}..${c.m.seq + c.count - 1}: ${c.detail}` : c.detail,
    });
  }
}
