/**
 * Fetch (key 1), versions 4-12; flexible from v12 (compact strings/arrays/records, tagged fields).
 *
 *   FetchRequest
 *     cluster_id               nullable string   v12+, tagged (tag 0)
 *     replica_id               int32             v0-14
 *     max_wait_ms              int32             v0+
 *     min_bytes                int32             v0+
 *     max_bytes                int32             v3+
 *     isolation_level          int8              v4+
 *     session_id               int32             v7+ (default 0)
 *     session_epoch            int32             v7+ (default -1)
 *     topics                   [FetchTopic]      v0+
 *       topic                  string            v0-12
 *       partitions             [FetchPartition]  v0+
 *         partition            int32             v0+
 *         current_leader_epoch int32             v9+ (default -1)
 *         fetch_offset         int64             v0+
 *         last_fetched_epoch   int32             v12+ (default -1)
 *         log_start_offset     int64             v5+ (default -1)
 *         partition_max_bytes  int32             v0+
 *         _tagged_fields                         v12+
 *       _tagged_fields                           v12+
 *     forgotten_topics_data    [ForgottenTopic]  v7+
 *       topic                  string            v7-12
 *       partitions             [int32]           v7+
 *       _tagged_fields                           v12+
 *     rack_id                  string            v11+ (default "")
 *     _tagged_fields                             v12+
 *
 *   FetchResponse
 *     throttle_time_ms         int32             v1+
 *     error_code               int16             v7+
 *     session_id               int32             v7+
 *     responses                [FetchableTopicResponse] v0+
 *       topic                  string            v0-12
 *       partitions             [PartitionData]   v0+
 *         partition_index      int32             v0+
 *         error_code           int16             v0+
 *         high_watermark       int64             v0+
 *         last_stable_offset   int64             v4+ (default -1)
 *         log_start_offset     int64             v5+ (default -1)
 *         aborted_transactions [AbortedTransaction] v4+, nullable v4+
 *           producer_id        int64             v4+
 *           first_offset       int64             v4+
 *           _tagged_fields                       v12+
 *         preferred_read_replica int32           v11+ (default -1)
 *         records              nullable records  v0+
 *         _tagged_fields                         v12+ (DivergingEpoch 0, CurrentLeader 1,
 *                                                      SnapshotId 2: never written, skipped)
 *       _tagged_fields                           v12+
 *     _tagged_fields                             v12+
 *
 * Response records are whole stored batches handed to the Writer without a copy (large buffers
 * become chunks of their own for writev). A client must tolerate a partial batch at the end.
 */
import type { Reader } from '../reader.js';
import { Writer } from '../writer.js';
import type { ApiSpec } from './api.js';

export const FetchApi: ApiSpec = { key: 1, name: 'Fetch', minVersion: 4, maxVersion: 12, flexibleFrom: 12 };

const CLUSTER_ID_TAG = 0;

export interface FetchPartition {
  partition: number;
  /** v9+; -1 before. */
  currentLeaderEpoch: number;
  fetchOffset: number;
  /** v12+; -1 before. */
  lastFetchedEpoch: number;
  /** v5+; -1 before. Only followers set it. */
  logStartOffset: number;
  partitionMaxBytes: number;
}

export interface FetchTopic {
  topic: string;
  /** v13+ only, never on the wire in the versions mq speaks. */
  topicId?: Buffer | null;
  partitions: FetchPartition[];
}

export interface FetchForgottenTopic {
  topic: string;
  partitions: number[];
}

export interface FetchRequest {
  /** v12+ tagged field; null when absent. */
  clusterId: string | null;
  replicaId: number;
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  isolationLevel: number;
  /** v7+; 0 (no session) before. */
  sessionId: number;
  /** v7+; -1 before. */
  sessionEpoch: number;
  topics: FetchTopic[];
  /** v7+; [] before. */
  forgottenTopicsData: FetchForgottenTopic[];
  /** v11+; '' before. */
  rackId: string;
}

export interface FetchAbortedTransaction {
  producerId: number;
  firstOffset: number;
}

export interface FetchPartitionData {
  partitionIndex: number;
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  /** v5+; -1 before. */
  logStartOffset: number;
  abortedTransactions: FetchAbortedTransaction[] | null;
  /** v11+; -1 before. */
  preferredReadReplica: number;
  /** Whole record batches (the last one may be partial); a view into the frame when decoded. */
  records: Buffer | null;
}

export interface FetchTopicResponse {
  topic: string;
  /** v13+ only, never on the wire in the versions mq speaks. */
  topicId?: Buffer | null;
  partitions: FetchPartitionData[];
}

export interface FetchResponse {
  throttleTimeMs: number;
  /** v7+; 0 before. */
  errorCode: number;
  /** v7+; 0 before. */
  sessionId: number;
  responses: FetchTopicResponse[];
}

const flex = (version: number) => version >= FetchApi.flexibleFrom;

export function decodeFetchRequest(r: Reader, version: number): FetchRequest {
  const flexible = flex(version);
  const replicaId = r.int32();
  const maxWaitMs = r.int32();
  const minBytes = r.int32();
  const maxBytes = r.int32();
  const isolationLevel = r.int8();
  const sessionId = version >= 7 ? r.int32() : 0;
  const sessionEpoch = version >= 7 ? r.int32() : -1;
  const topics = r.array(flexible, (r): FetchTopic => {
    const topic = r.str(flexible);
    const partitions = r.array(flexible, (r): FetchPartition => {
      const partition = r.int32();
      const currentLeaderEpoch = version >= 9 ? r.int32() : -1;
      const fetchOffset = r.int64();
      const lastFetchedEpoch = version >= 12 ? r.int32() : -1;
      const logStartOffset = version >= 5 ? r.int64() : -1;
      const partitionMaxBytes = r.int32();
      r.tags(flexible);
      return {
        partition,
        currentLeaderEpoch,
        fetchOffset,
        lastFetchedEpoch,
        logStartOffset,
        partitionMaxBytes,
      };
    });
    r.tags(flexible);
    return { topic, partitions };
  });
  const forgottenTopicsData =
    version >= 7
      ? r.array(flexible, (r): FetchForgottenTopic => {
          const topic = r.str(flexible);
          const partitions = r.array(flexible, (r) => r.int32());
          r.tags(flexible);
          return { topic, partitions };
        })
      : [];
  const rackId = version >= 11 ? r.str(flexible) : '';
  let clusterId: string | null = null;
  if (flexible) {
    r.taggedFields((tag, t) => {
      if (tag === CLUSTER_ID_TAG) clusterId = t.compactNullableString();
    });
  }
  return {
    clusterId,
    replicaId,
    maxWaitMs,
    minBytes,
    maxBytes,
    isolationLevel,
    sessionId,
    sessionEpoch,
    topics,
    forgottenTopicsData,
    rackId,
  };
}

export function encodeFetchRequest(w: Writer, version: number, req: FetchRequest): void {
  const flexible = flex(version);
  w.int32(req.replicaId)
    .int32(req.maxWaitMs)
    .int32(req.minBytes)
    .int32(req.maxBytes)
    .int8(req.isolationLevel);
  if (version >= 7) w.int32(req.sessionId).int32(req.sessionEpoch);
  w.array(req.topics, flexible, (w, t) => {
    w.str(t.topic, flexible);
    w.array(t.partitions, flexible, (w, p) => {
      w.int32(p.partition);
      if (version >= 9) w.int32(p.currentLeaderEpoch);
      w.int64(p.fetchOffset);
      if (version >= 12) w.int32(p.lastFetchedEpoch);
      if (version >= 5) w.int64(p.logStartOffset);
      w.int32(p.partitionMaxBytes).tags(flexible);
    });
    w.tags(flexible);
  });
  if (version >= 7) {
    w.array(req.forgottenTopicsData, flexible, (w, t) => {
      w.str(t.topic, flexible);
      w.arrayLength(t.partitions.length, flexible);
      for (const p of t.partitions) w.int32(p);
      w.tags(flexible);
    });
  }
  if (version >= 11) w.str(req.rackId, flexible);
  if (!flexible) return;
  if (req.clusterId === null) {
    w.uvarint(0);
    return;
  }
  const tag = new Writer(64).compactString(req.clusterId).toBuffer();
  w.uvarint(1).uvarint(CLUSTER_ID_TAG).uvarint(tag.length).raw(tag, true);
}

export function encodeFetchResponse(w: Writer, version: number, res: FetchResponse): void {
  const flexible = flex(version);
  w.int32(res.throttleTimeMs);
  if (version >= 7) w.int16(res.errorCode).int32(res.sessionId);
  w.array(res.responses, flexible, (w, t) => {
    w.str(t.topic, flexible);
    w.array(t.partitions, flexible, (w, p) => {
      w.int32(p.partitionIndex).int16(p.errorCode).int64(p.highWatermark).int64(p.lastStableOffset);
      if (version >= 5) w.int64(p.logStartOffset);
      w.nullableArray(p.abortedTransactions, flexible, (w, a) => {
        w.int64(a.producerId).int64(a.firstOffset).tags(flexible);
      });
      if (version >= 11) w.int32(p.preferredReadReplica);
      w.nullableByteArray(p.records, flexible);
      w.tags(flexible);
    });
    w.tags(flexible);
  });
  w.tags(flexible);
}

export function decodeFetchResponse(r: Reader, version: number): FetchResponse {
  const flexible = flex(version);
  const throttleTimeMs = r.int32();
  const errorCode = version >= 7 ? r.int16() : 0;
  const sessionId = version >= 7 ? r.int32() : 0;
  const responses = r.array(flexible, (r): FetchTopicResponse => {
    const topic = r.str(flexible);
    const partitions = r.array(flexible, (r): FetchPartitionData => {
      const partitionIndex = r.int32();
      const errorCode = r.int16();
      const highWatermark = r.int64();
      const lastStableOffset = r.int64();
      const logStartOffset = version >= 5 ? r.int64() : -1;
      const abortedTransactions = r.nullableArray(flexible, (r): FetchAbortedTransaction => {
        const producerId = r.int64();
        const firstOffset = r.int64();
        r.tags(flexible);
        return { producerId, firstOffset };
      });
      const preferredReadReplica = version >= 11 ? r.int32() : -1;
      const records = r.nullableByteArray(flexible);
      r.tags(flexible);
      return {
        partitionIndex,
        errorCode,
        highWatermark,
        lastStableOffset,
        logStartOffset,
        abortedTransactions,
        preferredReadReplica,
        records,
      };
    });
    r.tags(flexible);
    return { topic, partitions };
  });
  r.tags(flexible);
  return { throttleTimeMs, errorCode, sessionId, responses };
}
