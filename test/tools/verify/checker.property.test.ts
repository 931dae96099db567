/**
 * Property: on generated histories with known injected anomalies, the checker reports exactly
 * those. A scenario is simulated (partition logs, producers whose sends meet chosen fates, a
 * consumer group that crashes, skips and steps back on cue, a final drain that may stop early);
 * the expected counts come from the injections and from naive set arithmetic over the
 * simulation, never from the checker's own structures. Producer and consumer events are
 * interleaved at random, as worker threads deliver them.
 *
 * Every anomaly kind is injected: lost (certain and unseen), consumerLost, logDuplicate,
 * redelivered and redeliveredOutside, reordered, keyReordered, keySplit, nonMonotonicPoll,
 * skipped, resumeMismatch, inconsistentOffset, failedButRead, unexpected — and sends that end
 * indeterminate (info, or no outcome at all), read (recovered) or not. A last check makes sure
 * the generator really produces each of them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LossChecker } from '../../../src/tools/verify/checker/checker.js';
import { ANOMALY_KINDS } from '../../../src/tools/verify/checker/report.js';
import type { HistoryEvent } from '../../../src/tools/verify/history.js';

type Fate =
  | 'ok'
  | 'dup'
  | 'infoWritten'
  | 'infoLost'
  | 'noOutcomeWritten'
  | 'noOutcomeLost'
  | 'fail'
  | 'failWritten'
  | 'ackLost'
  | 'swap'
  | 'stranger';
const FATES: Fate[] = [
  'ok',
  'ok',
  'ok',
  'dup',
  'infoWritten',
  'infoLost',
  'noOutcomeWritten',
  'noOutcomeLost',
  'fail',
  'failWritten',
  'ackLost',
  'swap',
  'stranger',
];
/** The producer id of messages in the log that no producer of the history sent. */
const STRANGER = 99;

interface Chunk {
  fate: Fate;
  pt: number;
  n: number;
  /** Send event without a partition (a keyed send): the ack names it. */
  anyPartition: boolean;
  /** ackLost: a consumer read the message at its offset before the crash rewrote that offset. */
  ghost: boolean;
  key: string | null;
}

/** A batch size, a skip of that many offsets (negative), or a step back over offsets read. */
type Step = number | { back: number };

interface Scenario {
  partitions: number;
  producers: Chunk[][];
  consumerMode: 'at-least-once' | 'at-most-once';
  batches: Step[][];
  /**
   * Batch indexes (global, in reading order) after which the consumer crashes, and where (at-
   * least-once) its replacement starts relative to the last commit: 0 there, else one before or
   * one after (a wrong resume).
   */
  crashes: { at: number; shift: number }[];
  /** Partition the drain stops early in, and where (fraction of its log). */
  drainStop: { pt: number; fraction: number } | null;
  interleaveSeed: number;
}

const chunk = (partitions: number) =>
  fc.record({
    fate: fc.constantFrom(...FATES),
    pt: fc.integer({ min: 0, max: partitions - 1 }),
    n: fc.integer({ min: 1, max: 4 }),
    anyPartition: fc.boolean(),
    ghost: fc.boolean(),
    key: fc.constantFrom(null, 'a', 'b', 'c'),
  });

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: -2, max: 5 }) },
  { weight: 1, arbitrary: fc.record({ back: fc.integer({ min: 1, max: 3 }) }) },
);

const scenario = fc.integer({ min: 1, max: 3 }).chain((partitions) =>
  fc.record({
    partitions: fc.constant(partitions),
    producers: fc.array(fc.array(chunk(partitions), { minLength: 1, maxLength: 12 }), {
      minLength: 1,
      maxLength: 3,
    }),
    consumerMode: fc.constantFrom('at-least-once' as const, 'at-most-once' as const),
    batches: fc.array(fc.array(step, { maxLength: 30 }), {
      minLength: partitions,
      maxLength: partitions,
    }),
    crashes: fc.uniqueArray(
      fc.record({ at: fc.integer({ min: 0, max: 12 }), shift: fc.constantFrom(0, 0, -1, 1) }),
      { maxLength: 3, selector: (c) => c.at },
    ),
    drainStop: fc.option(
      fc.record({
        pt: fc.integer({ min: 0, max: partitions - 1 }),
        fraction: fc.double({ min: 0, max: 1, noNaN: true }),
      }),
    ),
    interleaveSeed: fc.integer(),
  }),
);

/** Every anomaly kind, and the parts of the loss count and recovered sends. */
const KINDS = [
  ...ANOMALY_KINDS,
  'lostCertain',
  'lostUnseen',
  'readBeforeLoss',
  'lostIndeterminate',
  'recovered',
] as const;
type Expected = Record<(typeof KINDS)[number], number>;

interface Sent {
  acked: boolean;
  indeterminate: boolean;
  failed: boolean;
  pt: number;
  /** The offset it was acknowledged at. */
  offset?: number;
}

function simulate(sc: Scenario): { events: HistoryEvent[]; expected: Expected; sent: Map<string, Sent> } {
  const logs: [number, number][][] = Array.from({ length: sc.partitions }, () => []);
  /** Per partition: offsets that held an acknowledged message, read before a crash lost it. */
  const ghosts = Array.from({ length: sc.partitions }, () => new Map<number, [number, number]>());
  const keyOf = new Map<string, string | null>();
  const prodEvents: HistoryEvent[] = [];
  const exp = Object.fromEntries(KINDS.map((k) => [k, 0])) as Expected;
  const sent = new Map<string, Sent>();
  const note = (
    p: number,
    s: number,
    n: number,
    pt: number,
    how: 'acked' | 'indeterminate' | 'failed',
    o?: number,
  ) => {
    for (let k = 0; k < n; k++)
      sent.set(`${p}:${s + k}`, {
        acked: how === 'acked',
        indeterminate: how === 'indeterminate',
        failed: how === 'failed',
        pt,
        ...(o === undefined ? {} : { offset: o + k }),
      });
  };
  let strangerSeq = 0;
  sc.producers.forEach((chunks, p) => {
    let seq = 0;
    const write = (pt: number, producer: number, s: number, n: number) => {
      const o = logs[pt].length;
      for (let i = 0; i < n; i++) logs[pt].push([producer, s + i]);
      return o;
    };
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i];
      if (c.fate === 'stranger') {
        for (let k = 0; k < c.n; k++) keyOf.set(`${STRANGER}:${strangerSeq + k}`, c.key);
        write(c.pt, STRANGER, strangerSeq, c.n);
        strangerSeq += c.n;
        continue;
      }
      const s = seq;
      seq += c.n;
      for (let k = 0; k < (c.fate === 'swap' ? 2 : 1) * c.n; k++) keyOf.set(`${p}:${s + k}`, c.key);
      const send = { t: 'send' as const, ts: 0, p, s, n: c.n, ...(c.anyPartition ? {} : { pt: c.pt }) };
      prodEvents.push(send);
      const ok = (o: number) => prodEvents.push({ t: 'ok', ts: 0, p, s, n: c.n, pt: c.pt, o });
      const outcome = (t: 'info' | 'fail') =>
        prodEvents.push({ t, ts: 0, p, s, n: c.n, e: t === 'info' ? 'timeout' : 'rejected' });
      switch (c.fate) {
        case 'ok': {
          const o = write(c.pt, p, s, c.n);
          ok(o);
          note(p, s, c.n, c.pt, 'acked', o);
          break;
        }
        case 'dup': {
          write(c.pt, p, s, c.n);
          const o = write(c.pt, p, s, c.n);
          ok(o);
          note(p, s, c.n, c.pt, 'acked', o);
          break;
        }
        case 'infoWritten':
          write(c.pt, p, s, c.n);
          outcome('info');
          note(p, s, c.n, c.pt, 'indeterminate');
          break;
        case 'infoLost':
          outcome('info');
          note(p, s, c.n, c.pt, 'indeterminate');
          break;
        case 'noOutcomeWritten':
          // Written, and the producer died before it heard: no outcome event at all.
          write(c.pt, p, s, c.n);
          note(p, s, c.n, c.pt, 'indeterminate');
          break;
        case 'noOutcomeLost':
          note(p, s, c.n, c.pt, 'indeterminate');
          break;
        case 'fail':
          outcome('fail');
          note(p, s, c.n, c.pt, 'failed');
          break;
        case 'failWritten':
          // Reported as definitely failed, yet written.
          write(c.pt, p, s, c.n);
          outcome('fail');
          note(p, s, c.n, c.pt, 'failed');
          break;
        case 'ackLost': {
          // Acknowledged at the partition's end, then lost in a crash: the offsets go to the next
          // messages written. A ghost was read at its offsets before that.
          const o = logs[c.pt].length;
          ok(o);
          note(p, s, c.n, c.pt, 'acked', o);
          if (c.ghost) for (let k = 0; k < c.n; k++) ghosts[c.pt].set(o + k, [p, s + k]);
          break;
        }
        case 'swap': {
          // This chunk and a second one to the same partition; the second is written first.
          const s2 = seq;
          seq += c.n;
          prodEvents.push({ t: 'send', ts: 0, p, s: s2, n: c.n, pt: c.pt });
          const o2 = write(c.pt, p, s2, c.n);
          prodEvents.push({ t: 'ok', ts: 0, p, s: s2, n: c.n, pt: c.pt, o: o2 });
          const o = write(c.pt, p, s, c.n);
          ok(o);
          note(p, s, c.n, c.pt, 'acked', o);
          note(p, s2, c.n, c.pt, 'acked', o2);
          break;
        }
      }
    }
  });

  /** Per partition and offset: every message anyone read there. */
  const readAt = Array.from({ length: sc.partitions }, () => new Map<number, Set<string>>());
  const noteRead = (pt: number, o: number, id: string) => {
    let at = readAt[pt].get(o);
    if (!at) readAt[pt].set(o, (at = new Set()));
    at.add(id);
  };

  // The consumer group: partitions in order, batches, commits, crashes, skips and steps back on
  // cue. The expected consumer findings are worked out as each read happens, as a consumer sees
  // them.
  const conEvents: HistoryEvent[] = [];
  let gen = 0;
  let name = 'c0';
  const all = Array.from({ length: sc.partitions }, (_, i) => i);
  conEvents.push({ t: 'assign', ts: 0, c: name, pts: all });
  const processed = new Set<string>();
  const skips: [number, number, number][] = [];
  const keyHome = new Map<string, number>();
  const splitKeys = new Set<string>();
  /** Per consumer, partition, key and producer: the highest seq handed over. */
  const keyLast = new Map<string, number>();
  let batchNo = 0;
  const crashes = new Map(sc.crashes.map((c) => [c.at, c.shift]));
  for (let pt = 0; pt < sc.partitions; pt++) {
    const log = logs[pt];
    const covered = new Set<number>();
    let pos = 0;
    let committed = -1;
    let next = -1; // the current consumer's next offset in pt; -1 before its first read
    let resumeAt = -1; // the commit when the current consumer was assigned pt
    const readRange = (from: number, to: number) => {
      if (to <= from) return;
      if (next < 0) {
        if (resumeAt >= 0 && from !== resumeAt) {
          exp.resumeMismatch++;
          if (from > resumeAt) skips.push([pt, resumeAt, from]);
        }
      } else if (from > next) skips.push([pt, next, from]);
      else if (from < next) exp.nonMonotonicPoll++;
      next = to;
      const r: number[] = [];
      const k: (string | null)[] = [];
      for (let o = from; o < to; o++) {
        // The first read of a ghost's offset found the message acknowledged there.
        const [p, s] = (!covered.has(o) && ghosts[pt].get(o)) || log[o];
        const id = `${p}:${s}`;
        const key = keyOf.get(id) ?? null;
        r.push(o, p, s);
        k.push(key);
        processed.add(id);
        noteRead(pt, o, id);
        if (covered.has(o)) {
          if (o >= committed) exp.redelivered++;
          else exp.redeliveredOutside++;
        }
        covered.add(o);
        if (key === null) continue;
        const home = keyHome.get(key);
        if (home === undefined) keyHome.set(key, pt);
        else if (home !== pt) splitKeys.add(key);
        const lane = `${name}|${pt}|${key}|${p}`;
        if (s < (keyLast.get(lane) ?? -1)) exp.keyReordered++;
        else keyLast.set(lane, s);
      }
      conEvents.push({ t: 'read', ts: 0, c: name, pt, r, k });
    };
    const commit = (o: number) => {
      conEvents.push({ t: 'commit', ts: 0, c: name, pt, o });
      committed = o;
    };
    const crash = () => {
      conEvents.push({ t: 'fault', ts: 0, kind: 'consumer-crash', phase: 'start', target: name });
      name = `c0.${++gen}`;
      conEvents.push({ t: 'assign', ts: 0, c: name, pts: all.filter((x) => x >= pt) });
      next = -1;
      resumeAt = committed;
    };
    for (const size of sc.batches[pt]) {
      if (pos >= log.length) break;
      if (typeof size !== 'number') {
        // The same consumer reads again offsets it has read, without a new assignment.
        if (next >= size.back) readRange(next - size.back, next);
        continue;
      }
      if (size <= 0) {
        pos = Math.min(log.length, pos - size); // a skip of -size offsets (0: none)
        continue;
      }
      const to = Math.min(log.length, pos + size);
      const shift = crashes.get(batchNo++);
      const crashes_ = shift !== undefined;
      if (sc.consumerMode === 'at-least-once') {
        readRange(pos, to);
        if (crashes_) {
          crash();
          readRange(Math.max(0, committed + shift), to);
        }
        commit(to);
      } else {
        commit(to);
        if (crashes_) crash();
        else readRange(pos, to);
      }
      pos = to;
    }
  }
  exp.keySplit = splitKeys.size;

  // The final drain, maybe stopping early in one partition; log-level findings on what it read.
  const drainEvents: HistoryEvent[] = [];
  const drained = new Set<string>();
  const drainMax = new Map<string, number>(); // (pt, p) -> highest seq the drain read
  const stops: number[] = [];
  const consumerLost = new Set<string>();
  for (let pt = 0; pt < sc.partitions; pt++) {
    const log = logs[pt];
    const stop = sc.drainStop?.pt === pt ? Math.floor(log.length * sc.drainStop.fraction) : log.length;
    stops[pt] = stop;
    for (let from = 0; from < stop; from += 3) {
      const r: number[] = [];
      for (let o = from; o < Math.min(stop, from + 3); o++) {
        const [p, s] = log[o];
        const id = `${p}:${s}`;
        r.push(o, p, s);
        noteRead(pt, o, id);
        const lane = `${pt}:${p}`;
        if (drained.has(id)) exp.logDuplicate++;
        else if (s < (drainMax.get(lane) ?? -1)) exp.reordered++;
        drained.add(id);
        drainMax.set(lane, Math.max(drainMax.get(lane) ?? -1, s));
        if (!processed.has(id) && sent.has(id)) consumerLost.add(id);
      }
      drainEvents.push({ t: 'read', ts: 0, c: 'drain', pt, r });
    }
    drainEvents.push({ t: 'drain', ts: 0, pt, end: log.length, reached: stop });
  }
  exp.consumerLost = consumerLost.size;
  for (const at of readAt) for (const ids of at.values()) if (ids.size > 1) exp.inconsistentOffset++;
  // A skip counts the offsets someone read (only those are known to hold a message).
  for (const [pt, from, to] of skips) for (let o = from; o < to; o++) if (readAt[pt].has(o)) exp.skipped++;
  const seen = (id: string) => processed.has(id) || drained.has(id);
  for (const id of new Set([...processed, ...drained]))
    if (id.startsWith(`${STRANGER}:`) && !sent.has(id)) exp.unexpected++;
  for (const [id, m] of sent) {
    if (m.indeterminate && seen(id)) exp.recovered++;
    if (m.failed && seen(id)) exp.failedButRead++;
    if (!(m.acked || (m.indeterminate && seen(id))) || drained.has(id)) continue;
    exp.lost++;
    if (processed.has(id)) exp.readBeforeLoss++;
    if (!m.acked) exp.lostIndeterminate++;
    const [p, s] = id.split(':').map(Number);
    // Certain when the drain got past it: the log end, a later seq of its producer, its offset.
    const pastIt =
      stops[m.pt] >= logs[m.pt].length ||
      s < (drainMax.get(`${m.pt}:${p}`) ?? -1) ||
      (m.offset !== undefined && m.offset < stops[m.pt]);
    if (pastIt) exp.lostCertain++;
    else exp.lostUnseen++;
  }

  // Interleave the producer and consumer streams (each in its own order), as threads would.
  let seed = sc.interleaveSeed;
  const rand = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) | 0;
    return ((seed >>> 16) & 0x7fff) / 0x8000;
  };
  const merged: HistoryEvent[] = [];
  let i = 0;
  let j = 0;
  while (i < prodEvents.length || j < conEvents.length) {
    if (j >= conEvents.length || (i < prodEvents.length && rand() < 0.5)) merged.push(prodEvents[i++]);
    else merged.push(conEvents[j++]);
  }
  const events: HistoryEvent[] = [
    { t: 'meta', v: 1, at: '2024-01-01T00:00:00Z', partitions: sc.partitions, idempotent: false },
    ...merged,
    ...drainEvents,
    { t: 'end', ts: 0 },
  ];
  let ts = 0;
  for (const e of events) if (e.t !== 'meta') e.ts = ts++;
  return { events, expected: exp, sent };
}

describe('LossChecker on generated histories (property)', () => {
  it('reports exactly the injected anomalies', () => {
    /** Runs in which each kind was injected at least once. */
    const injected = Object.fromEntries(KINDS.map((k) => [k, 0])) as Expected;
    fc.assert(
      fc.property(scenario, (sc) => {
        const { events, expected: x, sent } = simulate(sc);
        const c = new LossChecker();
        for (const e of events) c.add(e);
        const r = c.finish();
        const got: Expected = {
          ...r.anomalies,
          lostCertain: r.lost.certain,
          lostUnseen: r.lost.unseen,
          readBeforeLoss: r.lost.readBeforeLoss,
          lostIndeterminate: r.lost.indeterminate,
          recovered: r.counts.recovered,
        };
        expect(got).toEqual(x);
        const all = [...sent.values()];
        expect(r.counts).toMatchObject({
          sent: all.length,
          acked: all.filter((m) => m.acked).length,
          failed: all.filter((m) => m.failed).length,
          indeterminate: all.filter((m) => m.indeterminate).length,
        });
        for (const k of KINDS) if (x[k] > 0) injected[k]++;
      }),
      { numRuns: 300 },
    );
    // The generator is only as good as what it injects: every kind, in some of the runs (each
    // comes up in 17 to 240 of the 300 runs).
    for (const k of KINDS) expect(injected[k], k).toBeGreaterThanOrEqual(5);
  });
});
