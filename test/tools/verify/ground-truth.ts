/**
 * Ground truth for the negative controls, computed without the checker: the topic's log read
 * directly with mq's client after the run, and the history parsed into plain sets. The counts
 * here are naive set arithmetic; the checker must arrive at the same numbers its own way.
 */
import { readFile } from 'node:fs/promises';
import { Admin, Consumer } from '../../../src/client/index.js';
import { headerValue } from '../../../src/drivers/driver.js';
import { decodeStamp, STAMP_HEADER } from '../../../src/tools/stamp.js';
import type { HistoryEvent } from '../../../src/tools/verify/history.js';
import { parseHistory } from '../../../src/tools/verify/history-file.js';

export interface LogRecord {
  partition: number;
  offset: number;
  producer: number;
  seq: number;
}

/** Every record of every partition, from the start to the log end, in offset order. */
export async function readLog(bootstrap: string, topic: string): Promise<LogRecord[]> {
  const admin = new Admin({ bootstrap, clientId: 'ground-truth' });
  await admin.connect();
  const ends = await admin.listOffsets(topic, 'latest');
  await admin.close();
  const consumer = new Consumer({
    bootstrap,
    clientId: 'ground-truth',
    autoOffsetReset: 'earliest',
    maxWaitMs: 100,
  });
  consumer.assign(ends.map((e) => ({ topic, partition: e.partition, offset: 'earliest' as const })));
  const pos = new Map(ends.map((e) => [e.partition, 0]));
  const out: LogRecord[] = [];
  const done = () => ends.every((e) => (pos.get(e.partition) ?? 0) >= e.offset);
  if (!done()) {
    for await (const b of consumer.batches()) {
      for (const m of b.records) {
        const s = decodeStamp(headerValue(m, STAMP_HEADER));
        out.push({
          partition: b.partition,
          offset: m.offset,
          producer: s?.producerId ?? -1,
          seq: s?.sequence ?? -1,
        });
      }
      pos.set(b.partition, b.nextOffset);
      if (done()) break;
    }
  }
  await consumer.close();
  return out.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

export const id = (p: number, s: number) => `${p}:${s}`;

export interface HistorySets {
  events: HistoryEvent[];
  acked: Set<string>;
  /** Sends without an acknowledgement or a definite failure. */
  indeterminate: Set<string>;
  /** Read by the group's consumers during the run. */
  readByGroup: Set<string>;
  /** (partition:offset) reads by the group, in order, repeats included. */
  groupOffsetReads: string[];
}

export async function historySets(path: string): Promise<HistorySets> {
  const events = parseHistory(await readFile(path, 'utf8'));
  const invoked = new Set<string>();
  const acked = new Set<string>();
  const failed = new Set<string>();
  const readByGroup = new Set<string>();
  const groupOffsetReads: string[] = [];
  for (const e of events) {
    if (e.t === 'send' || e.t === 'ok' || e.t === 'fail' || e.t === 'info') {
      for (let i = 0; i < (e.n ?? 1); i++) {
        const k = id(e.p, e.s + i);
        invoked.add(k);
        if (e.t === 'ok') acked.add(k);
        if (e.t === 'fail') failed.add(k);
      }
    } else if (e.t === 'read' && e.c !== 'drain') {
      for (let i = 0; i < e.r.length; i += 3) {
        readByGroup.add(id(e.r[i + 1], e.r[i + 2]));
        groupOffsetReads.push(`${e.pt}:${e.r[i]}`);
      }
    }
  }
  const indeterminate = new Set([...invoked].filter((k) => !acked.has(k) && !failed.has(k)));
  return { events, acked, indeterminate, readByGroup, groupOffsetReads };
}

/** Acknowledged (or indeterminate but read during the run) and not in the log. */
export function lostCount(h: HistorySets, log: LogRecord[]): number {
  const present = new Set(log.map((r) => id(r.producer, r.seq)));
  let n = 0;
  for (const k of h.acked) if (!present.has(k)) n++;
  for (const k of h.indeterminate) if (h.readByGroup.has(k) && !present.has(k)) n++;
  return n;
}

/** Extra copies: each (producer, seq) found at more than one offset counts once per extra copy. */
export function duplicateCount(log: LogRecord[]): number {
  const seen = new Set<string>();
  let n = 0;
  for (const r of log) {
    if (r.producer < 0) continue;
    const k = id(r.producer, r.seq);
    if (seen.has(k)) n++;
    seen.add(k);
  }
  return n;
}

/** Messages found after a higher seq of the same producer in the same partition (copies aside). */
export function reorderCount(log: LogRecord[]): number {
  const max = new Map<string, number>();
  const seen = new Set<string>();
  let n = 0;
  for (const r of log) {
    const k = id(r.producer, r.seq);
    if (r.producer < 0 || seen.has(k)) continue;
    seen.add(k);
    const lane = `${r.partition}:${r.producer}`;
    if (r.seq < (max.get(lane) ?? -1)) n++;
    else max.set(lane, r.seq);
  }
  return n;
}

/** In the log, never processed by the group. */
export function consumerLostCount(h: HistorySets, log: LogRecord[]): number {
  const inLog = new Set(log.filter((r) => r.producer >= 0).map((r) => id(r.producer, r.seq)));
  return [...inLog].filter((k) => !h.readByGroup.has(k)).length;
}

/** Offsets the group was handed more than once (each repeat counts). */
export function redeliveryCount(h: HistorySets): number {
  const seen = new Set<string>();
  let n = 0;
  for (const k of h.groupOffsetReads) {
    if (seen.has(k)) n++;
    seen.add(k);
  }
  return n;
}

/**
 * What consumer `c` left behind when it crashed, per its own events: offsets it processed at or
 * after its last commit (to be redelivered), and offsets it committed without processing (lost
 * to the group).
 */
export function crashWindow(
  events: HistoryEvent[],
  c: string,
): { uncommitted: number; committedUnread: number } {
  const lastCommit = new Map<number, number>();
  const readEnd = new Map<number, number>();
  const reads = new Map<number, number[]>();
  for (const e of events) {
    if (e.t === 'commit' && e.c === c && e.ok !== false) lastCommit.set(e.pt, e.o);
    if (e.t === 'read' && e.c === c) {
      for (let i = 0; i < e.r.length; i += 3) {
        readEnd.set(e.pt, Math.max(readEnd.get(e.pt) ?? 0, e.r[i] + 1));
        reads.set(e.pt, [...(reads.get(e.pt) ?? []), e.r[i]]);
      }
    }
  }
  let uncommitted = 0;
  let committedUnread = 0;
  for (const [pt, offsets] of reads)
    uncommitted += offsets.filter((o) => o >= (lastCommit.get(pt) ?? 0)).length;
  for (const [pt, o] of lastCommit) committedUnread += Math.max(0, o - (readEnd.get(pt) ?? 0));
  return { uncommitted, committedUnread };
}

/**
 * Per moment in `at`: how many messages were in flight then — their send invoked before it and
 * their outcome (ok, fail, info) after it, or never recorded.
 */
export function inFlightAt(events: HistoryEvent[], at: number[]): number[] {
  const sentAt = new Map<string, number>();
  const settledAt = new Map<string, number>();
  for (const e of events) {
    if (e.t !== 'send' && e.t !== 'ok' && e.t !== 'fail' && e.t !== 'info') continue;
    for (let i = 0; i < (e.n ?? 1); i++) {
      const k = id(e.p, e.s + i);
      if (e.t === 'send') sentAt.set(k, e.ts);
      else if (!settledAt.has(k)) settledAt.set(k, e.ts);
    }
  }
  return at.map((t) => {
    let n = 0;
    for (const [k, sent] of sentAt) if (sent < t && (settledAt.get(k) ?? Number.POSITIVE_INFINITY) > t) n++;
    return n;
  });
}

/** When each fault of `kind` started and ended (history order). */
export function faultTimes(events: HistoryEvent[], kind: string): { starts: number[]; ends: number[] } {
  const starts: number[] = [];
  const ends: number[] = [];
  for (const e of events)
    if (e.t === 'fault' && e.kind === kind) (e.phase === 'start' ? starts : ends).push(e.ts);
  return { starts, ends };
}
