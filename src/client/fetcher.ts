/**
 * One round of fetching for the consumer: a Fetch per leader for the partitions whose position is
 * known (long poll on maxWaitMs / minBytes), and the turning of each partition's answer into a
 * ConsumerBatch and the next fetch position.
 *
 * Invariants:
 * - The broker returns whole stored batches starting at or before the requested offset, so records
 *   below the requested offset are skipped, and a partial batch at the end is ignored (it is
 *   fetched whole next time, from the new position).
 * - The next position is the offset after the last whole batch (baseOffset + lastOffsetDelta + 1),
 *   even when the batch had no deliverable record (control batches, compacted gaps), so a
 *   partition never gets stuck on a batch it has already read.
 * - An answer for a position the partition no longer has (seek, rebalance) is dropped.
 * - Records are views into the response frame: nothing is copied after the socket read.
 */
import {
  decodeFetchResponse,
  encodeFetchRequest,
  FetchApi,
  type FetchPartitionData,
} from '../protocol/apis/fetch.js';
import { ErrorCode, isRetriable } from '../protocol/errors.js';
import { LOG_OVERHEAD } from '../protocol/record-batch.js';
import { type DecodedRecord, decodeRecords } from '../protocol/records.js';
import type { Cluster } from './cluster.js';
import { BrokerError, needsMetadataRefresh } from './errors.js';
import { key } from './offsets.js';

export interface PartitionState {
  topic: string;
  partition: number;
  /** Next offset to fetch; -1 until resolved (committed offset or reset policy). */
  fetchOffset: number;
  /** Offset after the last record handed to and processed by the application (what commits store). */
  consumedOffset: number;
  /** Offset last committed, to skip commits that would change nothing. */
  committedOffset: number;
  /** Set by OFFSET_OUT_OF_RANGE: resolve with the reset policy, not the committed offset. */
  reset: boolean;
  maxBytes: number;
  highWatermark: number;
}

export interface ConsumerBatch {
  topic: string;
  partition: number;
  /** Offset after the last stored record of the partition when the broker answered. */
  highWatermark: number;
  /** At least one record, in offset order. */
  records: DecodedRecord[];
  /** Where the consumer continues: the offset after this batch (what a commit stores). */
  nextOffset: number;
}

export interface FetchSettings {
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  requestTimeoutMs: number;
  /** Upper bound for a partition's max bytes when a single batch does not fit. */
  maxPartitionBytesLimit: number;
}

export interface PartitionAnswer {
  state: PartitionState;
  requestedOffset: number;
  data: FetchPartitionData;
}

export interface FetchRound {
  answers: PartitionAnswer[];
  /** Errors of whole requests (a broker down); the partitions are fetched again later. */
  errors: unknown[];
  /** Topics with partitions that have no known leader. */
  leaderless: string[];
}

/** Sends one Fetch per leader for every partition with a known position; resolves when all answer. */
export async function fetchRound(
  cluster: Cluster,
  states: Iterable<PartitionState>,
  s: FetchSettings,
): Promise<FetchRound> {
  const byLeader = new Map<number, { state: PartitionState; offset: number }[]>();
  const leaderless = new Set<string>();
  for (const state of states) {
    if (state.fetchOffset < 0) continue;
    const leader = cluster.leaderFor(state.topic, state.partition);
    if (leader < 0) {
      leaderless.add(state.topic);
      continue;
    }
    const list = byLeader.get(leader) ?? [];
    list.push({ state, offset: state.fetchOffset });
    byLeader.set(leader, list);
  }
  const round: FetchRound = { answers: [], errors: [], leaderless: [...leaderless] };
  await Promise.all(
    [...byLeader].map(async ([leader, parts]) => {
      try {
        const answers = await fetchFrom(cluster, leader, parts, s);
        round.answers.push(...answers);
      } catch (err) {
        round.errors.push(err);
      }
    }),
  );
  return round;
}

async function fetchFrom(
  cluster: Cluster,
  leader: number,
  parts: { state: PartitionState; offset: number }[],
  s: FetchSettings,
): Promise<PartitionAnswer[]> {
  const byTopic = new Map<string, { state: PartitionState; offset: number }[]>();
  for (const p of parts) {
    const list = byTopic.get(p.state.topic) ?? [];
    list.push(p);
    byTopic.set(p.state.topic, list);
  }
  const conn = await cluster.connectionTo(leader, 'fetch');
  const res = await conn.request(
    FetchApi,
    (w, v) =>
      encodeFetchRequest(w, v, {
        clusterId: null,
        replicaId: -1,
        maxWaitMs: s.maxWaitMs,
        minBytes: s.minBytes,
        maxBytes: s.maxBytes,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [...byTopic].map(([topic, list]) => ({
          topic,
          partitions: list.map((p) => ({
            partition: p.state.partition,
            currentLeaderEpoch: -1,
            fetchOffset: p.offset,
            lastFetchedEpoch: -1,
            logStartOffset: -1,
            partitionMaxBytes: p.state.maxBytes,
          })),
        })),
        forgottenTopicsData: [],
        rackId: '',
      }),
    decodeFetchResponse,
    s.maxWaitMs + s.requestTimeoutMs,
  );
  const answers: PartitionAnswer[] = [];
  for (const t of res.responses) {
    const list = byTopic.get(t.topic);
    if (!list) continue;
    for (const data of t.partitions) {
      const p = list.find((x) => x.state.partition === data.partitionIndex);
      if (p) answers.push({ state: p.state, requestedOffset: p.offset, data });
    }
  }
  return answers;
}

/**
 * Turns a successful partition answer into the records to deliver and advances fetchOffset.
 * Returns null when there is nothing to deliver (the position may still have moved).
 */
export function takeRecords(a: PartitionAnswer, s: FetchSettings): ConsumerBatch | null {
  const { state, requestedOffset, data } = a;
  if (data.errorCode !== ErrorCode.NONE || state.fetchOffset !== requestedOffset) return null;
  state.highWatermark = data.highWatermark;
  const blob = data.records;
  const batches = decodeRecords(blob);
  if (batches.length === 0) {
    // Bytes but no whole batch: the first batch is bigger than this partition's limit.
    if (blob && blob.length >= LOG_OVERHEAD && state.maxBytes < s.maxPartitionBytesLimit) {
      state.maxBytes = Math.min(state.maxBytes * 2, s.maxPartitionBytesLimit);
    }
    return null;
  }
  let records: DecodedRecord[] = [];
  for (const b of batches) {
    if (b.control) continue;
    const rs = b.records;
    if (records.length === 0 && rs.length > 0 && rs[0].offset >= requestedOffset) {
      records = rs;
      continue;
    }
    for (const r of rs) if (r.offset >= requestedOffset) records.push(r);
  }
  const last = batches[batches.length - 1].header;
  const next = Math.max(last.baseOffset + last.lastOffsetDelta + 1, requestedOffset);
  state.fetchOffset = next;
  if (records.length === 0) return null;
  return {
    topic: state.topic,
    partition: state.partition,
    highWatermark: data.highWatermark,
    records,
    nextOffset: next,
  };
}

/**
 * Applies a fetch round to the partitions it was for: moves positions, marks partitions to reset
 * (OFFSET_OUT_OF_RANGE) or to look up again (stale leader: their topic joins `round.leaderless`),
 * and returns the batches to deliver. Answers for partitions no longer assigned, or sought
 * elsewhere since, are dropped. Errors that are not retriable are thrown.
 */
export function applyRound(
  round: FetchRound,
  states: ReadonlyMap<string, PartitionState>,
  cluster: Cluster,
  s: FetchSettings,
): ConsumerBatch[] {
  const ready: ConsumerBatch[] = [];
  for (const a of round.answers) {
    const state = a.state;
    if (states.get(key(state)) !== state) continue;
    const code = a.data.errorCode;
    if (code === ErrorCode.NONE) {
      if (state.fetchOffset !== a.requestedOffset) continue;
      const batch = takeRecords(a, s);
      if (batch) ready.push(batch);
      // Only control batches or records below the position: nothing to process, so the consumed
      // position moves with the fetch position (everything before it was processed already).
      else if (state.fetchOffset > a.requestedOffset) state.consumedOffset = state.fetchOffset;
    } else if (code === ErrorCode.OFFSET_OUT_OF_RANGE) {
      state.fetchOffset = -1;
      state.reset = true;
    } else if (needsMetadataRefresh(code) || isRetriable(code)) {
      cluster.invalidate(state.topic);
      round.leaderless.push(state.topic);
    } else {
      throw new BrokerError(code, `Fetch ${state.topic}-${state.partition}`);
    }
  }
  return ready;
}
