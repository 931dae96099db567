/**
 * The few requests the hardening runs make, as typed one-liners over WireClient: create a topic,
 * produce one batch (acks=-1), fetch whole batches, commit and read a standalone consumer's
 * offset (generation -1, as `assign()` consumers do), and metadata.
 */
import {
  CreateTopicsApi,
  decodeCreateTopicsResponse,
  encodeCreateTopicsRequest,
} from '../../src/protocol/apis/create-topics.js';
import {
  decodeFetchResponse,
  encodeFetchRequest,
  FetchApi,
  type FetchResponse,
} from '../../src/protocol/apis/fetch.js';
import {
  decodeMetadataResponse,
  encodeMetadataRequest,
  MetadataApi,
  type MetadataResponse,
} from '../../src/protocol/apis/metadata.js';
import {
  decodeOffsetCommitResponse,
  encodeOffsetCommitRequest,
  OffsetCommitApi,
} from '../../src/protocol/apis/offset-commit.js';
import {
  decodeOffsetFetchResponse,
  encodeOffsetFetchRequest,
  OffsetFetchApi,
} from '../../src/protocol/apis/offset-fetch.js';
import { decodeProduceResponse, encodeProduceRequest, ProduceApi } from '../../src/protocol/apis/produce.js';
import { ErrorCode, errorName } from '../../src/protocol/errors.js';
import type { Writer } from '../../src/protocol/writer.js';
import type { WireClient } from './wire-client.js';

export class BrokerErrorCode extends Error {
  override name = 'BrokerErrorCode';
  constructor(
    readonly code: number,
    what: string,
  ) {
    super(`${what}: ${errorName(code)} (${code})`);
  }
}

/** Creates a topic; an existing one is fine. */
export async function createTopic(
  c: WireClient,
  name: string,
  partitions: number,
  timeoutMs = 60_000,
): Promise<void> {
  const res = await c.request(
    CreateTopicsApi,
    4,
    (w) =>
      encodeCreateTopicsRequest(w, 4, {
        topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }],
        timeoutMs,
        validateOnly: false,
      }),
    decodeCreateTopicsResponse,
    timeoutMs,
  );
  const code = res.topics[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
  if (code !== ErrorCode.NONE && code !== ErrorCode.TOPIC_ALREADY_EXISTS) {
    throw new BrokerErrorCode(code, `create topic ${name}`);
  }
}

/** Produces one or more batches to one partition; resolves with the partition's error code and base offset. */
export async function produce(
  c: WireClient,
  topic: string,
  partition: number,
  records: Buffer,
  acks = -1,
  timeoutMs = 30_000,
): Promise<{ errorCode: number; baseOffset: number }> {
  const res = await c.request(
    ProduceApi,
    7,
    (w) =>
      encodeProduceRequest(w, 7, {
        transactionalId: null,
        acks,
        timeoutMs,
        topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
      }),
    decodeProduceResponse,
    timeoutMs,
  );
  const p = res.responses[0]?.partitionResponses[0];
  return { errorCode: p?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR, baseOffset: p?.baseOffset ?? -1 };
}

export interface FetchPartition {
  partition: number;
  offset: number;
}

/** Fetch v11 of whole batches; maxWaitMs 0 unless given. */
export function fetch(
  c: WireClient,
  topic: string,
  partitions: FetchPartition[],
  opts: {
    maxBytes?: number;
    partitionMaxBytes?: number;
    maxWaitMs?: number;
    minBytes?: number;
    timeoutMs?: number;
  } = {},
): Promise<FetchResponse> {
  return c.request(
    FetchApi,
    11,
    (w) =>
      encodeFetchRequest(w, 11, {
        clusterId: null,
        replicaId: -1,
        maxWaitMs: opts.maxWaitMs ?? 0,
        minBytes: opts.minBytes ?? 1,
        maxBytes: opts.maxBytes ?? 4 * 1024 * 1024,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [
          {
            topic,
            topicId: null,
            partitions: partitions.map((p) => ({
              partition: p.partition,
              currentLeaderEpoch: -1,
              fetchOffset: p.offset,
              lastFetchedEpoch: -1,
              logStartOffset: -1,
              partitionMaxBytes: opts.partitionMaxBytes ?? 1024 * 1024,
            })),
          },
        ],
        forgottenTopicsData: [],
        rackId: '',
      }),
    decodeFetchResponse,
    opts.timeoutMs ?? 30_000,
  );
}

export interface OffsetToCommit {
  partition: number;
  offset: number;
  metadata?: string | null;
}

/**
 * OffsetCommit as a standalone (simple) consumer: generation -1, empty member id, no group
 * membership. Resolves with each partition's error code, in the answer's order.
 */
export async function commitOffsets(
  c: WireClient,
  group: string,
  topic: string,
  commits: readonly OffsetToCommit[],
  opts: { version?: number; timeoutMs?: number } = {},
): Promise<number[]> {
  const version = opts.version ?? 7;
  const res = await c.request(
    OffsetCommitApi,
    version,
    (w) =>
      encodeOffsetCommitRequest(w, version, {
        groupId: group,
        generationId: -1,
        memberId: '',
        groupInstanceId: null,
        retentionTimeMs: -1,
        topics: [
          {
            name: topic,
            partitions: commits.map((x) => ({
              partitionIndex: x.partition,
              committedOffset: x.offset,
              committedLeaderEpoch: -1,
              commitTimestamp: -1,
              committedMetadata: x.metadata ?? null,
            })),
          },
        ],
      }),
    decodeOffsetCommitResponse,
    opts.timeoutMs ?? 30_000,
  );
  return res.topics.flatMap((t) => t.partitions.map((p) => p.errorCode));
}

/** OffsetCommit v7 of one partition as a standalone consumer; resolves with its error code. */
export async function commitOffset(
  c: WireClient,
  group: string,
  topic: string,
  partition: number,
  offset: number,
  timeoutMs = 30_000,
): Promise<number> {
  const [code] = await commitOffsets(c, group, topic, [{ partition, offset }], { timeoutMs });
  return code ?? ErrorCode.UNKNOWN_SERVER_ERROR;
}

/** OffsetFetch v7: the committed offset of one partition, -1 when none. */
export async function committedOffset(
  c: WireClient,
  group: string,
  topic: string,
  partition: number,
): Promise<number> {
  const res = await c.request(
    OffsetFetchApi,
    7,
    (w) =>
      encodeOffsetFetchRequest(w, 7, {
        groupId: group,
        topics: [{ name: topic, partitionIndexes: [partition] }],
        groups: [],
        requireStable: false,
      }),
    decodeOffsetFetchResponse,
  );
  if (res.errorCode !== ErrorCode.NONE) throw new BrokerErrorCode(res.errorCode, `offset fetch ${group}`);
  const p = res.topics[0]?.partitions[0];
  if (!p) throw new Error(`offset fetch ${group}: no partition in the answer`);
  if (p.errorCode !== ErrorCode.NONE) throw new BrokerErrorCode(p.errorCode, `offset fetch ${group}`);
  return p.committedOffset;
}

/** Metadata v9 for the given topics (null = all), without auto-creation. */
function metadataRequest(topics: string[] | null) {
  return (w: Writer) =>
    encodeMetadataRequest(w, 9, {
      topics: topics === null ? null : topics.map((name) => ({ name })),
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
}

export function metadata(
  c: WireClient,
  topics: string[] | null,
  timeoutMs = 30_000,
): Promise<MetadataResponse> {
  return c.request(MetadataApi, 9, metadataRequest(topics), decodeMetadataResponse, timeoutMs);
}

/**
 * Metadata v9, the answer's size in bytes without decoding it: a load generator asking for a
 * 1,000-partition topic thousands of times would otherwise measure its own decoding.
 */
export function metadataSize(c: WireClient, topics: string[] | null, timeoutMs = 30_000): Promise<number> {
  return c.request(MetadataApi, 9, metadataRequest(topics), (r) => r.remaining, timeoutMs);
}
