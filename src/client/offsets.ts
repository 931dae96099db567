/**
 * Offset look-ups shared by the consumer and the admin: ListOffsets against partition leaders,
 * and committed offsets (OffsetFetch / OffsetCommit) against a group coordinator.
 *
 * Look-ups are grouped into one request per leader and retried a few times on the errors that
 * mean stale metadata (the cache is refreshed first) or a coordinator that is moving.
 */
import {
  decodeFindCoordinatorResponse,
  encodeFindCoordinatorRequest,
  FindCoordinatorApi,
} from '../protocol/apis/find-coordinator.js';
import {
  decodeListOffsetsResponse,
  EARLIEST_TIMESTAMP,
  encodeListOffsetsRequest,
  LATEST_TIMESTAMP,
  ListOffsetsApi,
} from '../protocol/apis/list-offsets.js';
import {
  decodeOffsetCommitResponse,
  encodeOffsetCommitRequest,
  OffsetCommitApi,
} from '../protocol/apis/offset-commit.js';
import {
  decodeOffsetFetchResponse,
  encodeOffsetFetchRequest,
  OffsetFetchApi,
  type OffsetFetchTopicResult,
} from '../protocol/apis/offset-fetch.js';
import { ErrorCode, isRetriable } from '../protocol/errors.js';
import { type Cluster, sleep } from './cluster.js';
import type { Connection } from './connection.js';
import { BrokerError, isRetriableError, needsMetadataRefresh } from './errors.js';

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface TopicPartitionOffset extends TopicPartition {
  offset: number;
}

/** 'earliest', 'latest', or a timestamp in ms (the first offset with a timestamp at or after it). */
export type OffsetSpec = 'earliest' | 'latest' | number;

export function specTimestamp(spec: OffsetSpec): number {
  return spec === 'earliest' ? EARLIEST_TIMESTAMP : spec === 'latest' ? LATEST_TIMESTAMP : spec;
}

const ATTEMPTS = 5;

/** Offsets per partition for the spec; -1 where a timestamp is later than every record. */
export async function listOffsets(
  cluster: Cluster,
  partitions: readonly TopicPartition[],
  spec: OffsetSpec,
): Promise<TopicPartitionOffset[]> {
  const timestamp = specTimestamp(spec);
  const result = new Map<string, TopicPartitionOffset>();
  let todo = [...partitions];
  let lastError: unknown = null;
  for (let attempt = 0; attempt < ATTEMPTS && todo.length > 0; attempt++) {
    if (attempt > 0) await sleep(100 * attempt);
    await cluster.ensureTopics([...new Set(todo.map((p) => p.topic))]);
    const byLeader = new Map<number, TopicPartition[]>();
    for (const tp of todo) {
      const leader = cluster.leaderFor(tp.topic, tp.partition);
      const list = byLeader.get(leader) ?? [];
      list.push(tp);
      byLeader.set(leader, list);
    }
    const retry: TopicPartition[] = [];
    await Promise.all(
      [...byLeader].map(async ([leader, tps]) => {
        try {
          const conn = await cluster.connectionTo(leader);
          const res = await conn.request(
            ListOffsetsApi,
            (w, v) =>
              encodeListOffsetsRequest(w, v, {
                replicaId: -1,
                isolationLevel: 0,
                topics: groupByTopic(tps).map(({ topic, partitions }) => ({
                  name: topic,
                  partitions: partitions.map((partitionIndex) => ({
                    partitionIndex,
                    currentLeaderEpoch: -1,
                    timestamp,
                  })),
                })),
              }),
            decodeListOffsetsResponse,
          );
          for (const t of res.topics) {
            for (const p of t.partitions) {
              const tp = { topic: t.name, partition: p.partitionIndex };
              if (p.errorCode === ErrorCode.NONE) {
                result.set(key(tp), { ...tp, offset: p.offset });
              } else if (isRetriable(p.errorCode)) {
                if (needsMetadataRefresh(p.errorCode)) cluster.invalidate(t.name);
                lastError = new BrokerError(p.errorCode, `ListOffsets ${t.name}-${p.partitionIndex}`);
                retry.push(tp);
              } else {
                throw new BrokerError(p.errorCode, `ListOffsets ${t.name}-${p.partitionIndex}`);
              }
            }
          }
        } catch (err) {
          if (!isRetriableError(err)) throw err;
          lastError = err;
          retry.push(...tps);
        }
      }),
    );
    todo = retry.filter((tp) => !result.has(key(tp)));
  }
  if (todo.length > 0) throw lastError;
  return partitions.map((tp) => result.get(key(tp))!);
}

export function key(tp: TopicPartition): string {
  return `${tp.topic}\u0000${tp.partition}`;
}

export function groupByTopic(tps: readonly TopicPartition[]): { topic: string; partitions: number[] }[] {
  const m = new Map<string, number[]>();
  for (const tp of tps) {
    const list = m.get(tp.topic) ?? [];
    list.push(tp.partition);
    m.set(tp.topic, list);
  }
  return [...m].map(([topic, partitions]) => ({ topic, partitions: partitions.sort((a, b) => a - b) }));
}

/** The group coordinator's connection (group lane), retrying while the coordinator is not available. */
export async function findCoordinator(cluster: Cluster, groupId: string): Promise<Connection> {
  let lastCode: number = ErrorCode.COORDINATOR_NOT_AVAILABLE;
  for (let attempt = 0; attempt < 10; attempt++) {
    if (attempt > 0) await sleep(Math.min(100 * 2 ** attempt, 1000));
    const conn = await cluster.anyConnection();
    const res = await conn.request(
      FindCoordinatorApi,
      (w, v) => encodeFindCoordinatorRequest(w, v, { key: groupId, keyType: 0, coordinatorKeys: [groupId] }),
      decodeFindCoordinatorResponse,
    );
    const c = res.coordinators.length > 0 ? res.coordinators[0] : res;
    if (c.errorCode === ErrorCode.NONE) return cluster.connectionAt(c.host, c.port, 'group');
    lastCode = c.errorCode;
    if (!isRetriable(c.errorCode)) break;
  }
  throw new BrokerError(lastCode, `FindCoordinator ${groupId}`);
}

export interface CommittedOffset extends TopicPartitionOffset {
  metadata: string | null;
}

/**
 * Committed offsets of a group (offset -1 where none); `topics` null asks for every topic the
 * group has committed to.
 */
export async function fetchCommitted(
  coordinator: Connection,
  groupId: string,
  topics: { topic: string; partitions: number[] }[] | null,
): Promise<CommittedOffset[]> {
  const wanted =
    topics === null ? null : topics.map((t) => ({ name: t.topic, partitionIndexes: t.partitions }));
  const res = await coordinator.request(
    OffsetFetchApi,
    (w, v) =>
      encodeOffsetFetchRequest(w, v, {
        groupId,
        topics: wanted,
        groups: [{ groupId, topics: wanted }],
        requireStable: false,
      }),
    decodeOffsetFetchResponse,
  );
  let results: OffsetFetchTopicResult[] = res.topics;
  let code = res.errorCode;
  if (res.groups.length > 0) {
    results = res.groups[0].topics;
    code = res.groups[0].errorCode;
  }
  if (code !== ErrorCode.NONE) throw new BrokerError(code, `OffsetFetch ${groupId}`);
  const out: CommittedOffset[] = [];
  for (const t of results) {
    for (const p of t.partitions) {
      if (p.errorCode !== ErrorCode.NONE)
        throw new BrokerError(p.errorCode, `OffsetFetch ${t.name}-${p.partitionIndex}`);
      out.push({
        topic: t.name,
        partition: p.partitionIndex,
        offset: p.committedOffset,
        metadata: p.metadata,
      });
    }
  }
  return out;
}

/** Commits offsets (the next offset to read, as Kafka means it); throws the first partition error. */
export async function commitOffsets(
  coordinator: Connection,
  groupId: string,
  generationId: number,
  memberId: string,
  offsets: readonly TopicPartitionOffset[],
): Promise<void> {
  const byTopic = new Map<string, TopicPartitionOffset[]>();
  for (const o of offsets) {
    const list = byTopic.get(o.topic) ?? [];
    list.push(o);
    byTopic.set(o.topic, list);
  }
  const res = await coordinator.request(
    OffsetCommitApi,
    (w, v) =>
      encodeOffsetCommitRequest(w, v, {
        groupId,
        generationId,
        memberId,
        groupInstanceId: null,
        retentionTimeMs: -1,
        topics: [...byTopic].map(([name, list]) => ({
          name,
          partitions: list.map((o) => ({
            partitionIndex: o.partition,
            committedOffset: o.offset,
            committedLeaderEpoch: -1,
            commitTimestamp: -1,
            committedMetadata: null,
          })),
        })),
      }),
    decodeOffsetCommitResponse,
  );
  for (const t of res.topics) {
    for (const p of t.partitions) {
      if (p.errorCode !== ErrorCode.NONE)
        throw new BrokerError(p.errorCode, `OffsetCommit ${t.name}-${p.partitionIndex}`);
    }
  }
}
