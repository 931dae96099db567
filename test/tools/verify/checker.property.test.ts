/**
 * Property: on generated histories with known injected anomalies, the checker reports exactly
 * those. A scenario is simulated (partition logs, producers whose sends meet chosen fates, a
 * consumer group that crashes and skips on cue, a final drain that may stop early); the expected
 * counts come from the injections and from naive set arithmetic over the simulation, never from
 * the checker's own structures. Producer and consumer events are interleaved at random, as
 * worker threads deliver them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LossChecker } from '../../../src/tools/verify/checker/checker.js';
import type { HistoryEvent } from '../../../src/tools/verify/history.js';

type Fate = 'ok' | 'dup' | 'infoWritten' | 'infoLost' | 'fail' | 'ackLost' | 'swap';
const FATES: Fate[] = ['ok', 'ok', 'ok', 'dup', 'infoWritten', 'infoLost', 'fail', 'ackLost', 'swap'];

interface Chunk {
  fate: Fate;
  pt: number;
  n: number;
  /** Send event without a partition (a keyed send): the ack names it. */
  anyPartition: boolean;
}

interface Scenario {
  partitions: number;
  producers: Chunk[][];
  consumerMode: 'at-least-once' | 'at-most-once';
  /** Per partition: batch sizes; a negative size is a skip of that many offsets. */
  batches: number[][];
  /** Batch indexes (global, in reading order) after which the consumer crashes. */
  crashes: number[];
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
  });

const scenario = fc.integer({ min: 1, max: 3 }).chain((partitions) =>
  fc.record({
    partitions: fc.constant(partitions),
    producers: fc.array(fc.array(chunk(partitions), { minLength: 1, maxLength: 12 }), {
      minLength: 1,
      maxLength: 3,
    }),
    consumerMode: fc.constantFrom('at-least-once' as const, 'at-most-once' as const),
    batches: fc.array(fc.array(fc.integer({ min: -2, max: 5 }), { maxLength: 30 }), {
      minLength: partitions,
      maxLength: partitions,
    }),
    crashes: fc.uniqueArray(fc.integer({ min: 0, max: 40 }), { maxLength: 3 }),
    drainStop: fc.option(
      fc.record({
        pt: fc.integer({ min: 0, max: partitions - 1 }),
        fraction: fc.double({ min: 0, max: 1, noNaN: true }),
      }),
    ),
    interleaveSeed: fc.integer(),
  }),
);

interface Expected {
  lost: number;
  lostCertain: number;
  recovered: number;
  resumeMismatch: number;
  logDuplicate: number;
  reordered: number;
  redelivered: number;
  consumerLost: number;
  skipped: number;
}

function simulate(sc: Scenario): {
  events: HistoryEvent[];
  expected: Expected;
  sent: Map<string, { acked: boolean; indeterminate: boolean; pt: number }>;
} {
  const logs: [number, number][][] = Array.from({ length: sc.partitions }, () => []);
  const prodEvents: HistoryEvent[] = [];
  const exp: Expected = {
    lost: 0,
    lostCertain: 0,
    recovered: 0,
    resumeMismatch: 0,
    logDuplicate: 0,
    reordered: 0,
    redelivered: 0,
    consumerLost: 0,
    skipped: 0,
  };
  const sent = new Map<string, { acked: boolean; indeterminate: boolean; pt: number }>();
  const note = (p: number, s: number, n: number, pt: number, how: 'acked' | 'indeterminate' | 'failed') => {
    for (let k = 0; k < n; k++)
      sent.set(`${p}:${s + k}`, { acked: how === 'acked', indeterminate: how === 'indeterminate', pt });
  };
  sc.producers.forEach((chunks, p) => {
    let seq = 0;
    const write = (pt: number, s: number, n: number) => {
      const o = logs[pt].length;
      for (let i = 0; i < n; i++) logs[pt].push([p, s + i]);
      return o;
    };
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i];
      const s = seq;
      seq += c.n;
      const send = { t: 'send' as const, ts: 0, p, s, n: c.n, ...(c.anyPartition ? {} : { pt: c.pt }) };
      prodEvents.push(send);
      const ok = (o: number) => prodEvents.push({ t: 'ok', ts: 0, p, s, n: c.n, pt: c.pt, o });
      switch (c.fate) {
        case 'ok':
          ok(write(c.pt, s, c.n));
          note(p, s, c.n, c.pt, 'acked');
          break;
        case 'dup':
          write(c.pt, s, c.n);
          ok(write(c.pt, s, c.n));
          note(p, s, c.n, c.pt, 'acked');
          break;
        case 'infoWritten':
          write(c.pt, s, c.n);
          prodEvents.push({ t: 'info', ts: 0, p, s, n: c.n, e: 'timeout' });
          note(p, s, c.n, c.pt, 'indeterminate');
          break;
        case 'infoLost':
          prodEvents.push({ t: 'info', ts: 0, p, s, n: c.n, e: 'timeout' });
          note(p, s, c.n, c.pt, 'indeterminate');
          break;
        case 'fail':
          prodEvents.push({ t: 'fail', ts: 0, p, s, n: c.n, e: 'rejected' });
          note(p, s, c.n, c.pt, 'failed');
          break;
        case 'ackLost':
          // Acknowledged at the partition's end, never written: the broker lost it.
          ok(logs[c.pt].length);
          note(p, s, c.n, c.pt, 'acked');
          break;
        case 'swap': {
          // This chunk and a second one to the same partition; the second is written first.
          const s2 = seq;
          seq += c.n;
          prodEvents.push({ t: 'send', ts: 0, p, s: s2, n: c.n, pt: c.pt });
          const o2 = write(c.pt, s2, c.n);
          prodEvents.push({ t: 'ok', ts: 0, p, s: s2, n: c.n, pt: c.pt, o: o2 });
          ok(write(c.pt, s, c.n));
          note(p, s, 2 * c.n, c.pt, 'acked');
          break;
        }
      }
    }
  });

  // The consumer group: partitions in order, batches, commits, crashes and skips on cue. The
  // expected consumer findings are worked out as each read happens, as a consumer sees them.
  const conEvents: HistoryEvent[] = [];
  let gen = 0;
  let name = 'c0';
  const all = Array.from({ length: sc.partitions }, (_, i) => i);
  conEvents.push({ t: 'assign', ts: 0, c: name, pts: all });
  const processed = new Set<string>();
  /** Offsets read by anyone, per partition, and the ranges a consumer jumped over. */
  const readOffsets = Array.from({ length: sc.partitions }, () => new Set<number>());
  const skips: [number, number, number][] = [];
  let batchNo = 0;
  const crashes = new Set(sc.crashes);
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
      next = to;
      const r: number[] = [];
      for (let o = from; o < to; o++) {
        r.push(o, log[o][0], log[o][1]);
        processed.add(`${log[o][0]}:${log[o][1]}`);
        if (covered.has(o)) exp.redelivered++;
        covered.add(o);
        readOffsets[pt].add(o);
      }
      conEvents.push({ t: 'read', ts: 0, c: name, pt, r });
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
      if (size <= 0) {
        pos = Math.min(log.length, pos - size); // a skip of -size offsets (0: none)
        continue;
      }
      const to = Math.min(log.length, pos + size);
      const crashes_ = crashes.has(batchNo++);
      if (sc.consumerMode === 'at-least-once') {
        readRange(pos, to);
        if (crashes_) {
          crash();
          readRange(Math.max(0, committed), to);
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

  // The final drain, maybe stopping early in one partition; log-level findings on what it read.
  const drainEvents: HistoryEvent[] = [];
  const drained = new Set<string>();
  const drainMax = new Map<string, number>(); // (pt, p) -> highest seq the drain read
  const reachedEnd: boolean[] = [];
  const consumerLost = new Set<string>();
  for (let pt = 0; pt < sc.partitions; pt++) {
    const log = logs[pt];
    const stop = sc.drainStop?.pt === pt ? Math.floor(log.length * sc.drainStop.fraction) : log.length;
    reachedEnd[pt] = stop >= log.length;
    for (let from = 0; from < stop; from += 3) {
      const r: number[] = [];
      for (let o = from; o < Math.min(stop, from + 3); o++) {
        const [p, s] = log[o];
        const id = `${p}:${s}`;
        r.push(o, p, s);
        readOffsets[pt].add(o);
        const lane = `${pt}:${p}`;
        if (drained.has(id)) exp.logDuplicate++;
        else if (s < (drainMax.get(lane) ?? -1)) exp.reordered++;
        drained.add(id);
        drainMax.set(lane, Math.max(drainMax.get(lane) ?? -1, s));
        if (!processed.has(id)) consumerLost.add(id);
      }
      drainEvents.push({ t: 'read', ts: 0, c: 'drain', pt, r });
    }
    drainEvents.push({ t: 'drain', ts: 0, pt, end: log.length, reached: stop });
  }
  exp.consumerLost = consumerLost.size;
  // A skip counts the offsets someone read (only those are known to hold a message).
  for (const [pt, from, to] of skips)
    for (let o = from; o < to; o++) if (readOffsets[pt].has(o)) exp.skipped++;
  for (const [id, m] of sent) {
    const seen = processed.has(id) || drained.has(id);
    if (m.indeterminate && seen) exp.recovered++;
    if (!(m.acked || (m.indeterminate && seen)) || drained.has(id)) continue;
    exp.lost++;
    const [p, s] = id.split(':').map(Number);
    if (reachedEnd[m.pt] || s < (drainMax.get(`${m.pt}:${p}`) ?? -1)) exp.lostCertain++;
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
    fc.assert(
      fc.property(scenario, (sc) => {
        const { events, expected: x, sent } = simulate(sc);
        const c = new LossChecker();
        for (const e of events) c.add(e);
        const r = c.finish();
        expect(r.anomalies.lost).toBe(x.lost);
        expect(r.lost.certain).toBe(x.lostCertain);
        expect(r.counts.recovered).toBe(x.recovered);
        expect(r.anomalies.logDuplicate).toBe(x.logDuplicate);
        expect(r.anomalies.reordered).toBe(x.reordered);
        expect(r.anomalies.redelivered).toBe(x.redelivered);
        expect(r.anomalies.consumerLost).toBe(x.consumerLost);
        expect(r.anomalies.skipped).toBe(x.skipped);
        expect(r.anomalies.resumeMismatch).toBe(x.resumeMismatch);
        const all = [...sent.values()];
        expect(r.counts.acked).toBe(all.filter((m) => m.acked).length);
        expect(r.counts.indeterminate).toBe(all.filter((m) => m.indeterminate).length);
        expect(r.counts.sent).toBe(all.length);
        for (const k of [
          'redeliveredOutside',
          'nonMonotonicPoll',
          'inconsistentOffset',
          'failedButRead',
          'unexpected',
          'keySplit',
          'keyReordered',
        ] as const) {
          expect(r.anomalies[k], k).toBe(0);
        }
      }),
      { numRuns: 300 },
    );
  });
});
