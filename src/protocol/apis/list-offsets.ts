/**
 * ListOffsets (key 2), versions 1-5. Flexible versions start at v6, so none here are.
 *
 *   ListOffsetsRequest
 *     replica_id               int32             v0+
 *     isolation_level          int8              v2+
 *     topics                   [ListOffsetsTopic] v0+
 *       name                   string            v0+
 *       partitions             [ListOffsetsPartition] v0+
 *         partition_index      int32             v0+
 *         current_leader_epoch int32             v4+ (default -1)
 *         timestamp            int64             v0+  (-1 latest, -2 earliest, else a time)
 *         max_num_offsets      int32             v0 only (not spoken here)
 *
 *   ListOffsetsResponse
 *     throttle_time_ms         int32             v2+
 *     topics                   [ListOffsetsTopicResponse] v0+
 *       name                   string            v0+
 *       partitions             [ListOffsetsPartitionResponse] v0+
 *         partition_index      int32             v0+
 *         error_code           int16             v0+
 *         old_style_offsets    [int64]           v0 only (not spoken here)
 *         timestamp            int64             v1+ (default -1)
 *         offset               int64             v1+ (default -1)
 *         leader_epoch         int32             v4+ (default -1)
 */
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';
import type { ApiSpec } from './api.js';

export const ListOffsetsApi: ApiSpec = {
  key: 2,
  name: 'ListOffsets',
  minVersion: 1,
  maxVersion: 5,
  flexibleFrom: 6,
};

export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;

export interface ListOffsetsPartition {
  partitionIndex: number;
  /** v4+; -1 before. */
  currentLeaderEpoch: number;
  timestamp: number;
}

export interface ListOffsetsTopic {
  name: string;
  partitions: ListOffsetsPartition[];
}

export interface ListOffsetsRequest {
  replicaId: number;
  /** v2+; 0 (read uncommitted) in v1. */
  isolationLevel: number;
  topics: ListOffsetsTopic[];
}

export interface ListOffsetsPartitionResponse {
  partitionIndex: number;
  errorCode: number;
  timestamp: number;
  offset: number;
  /** v4+; -1 before. */
  leaderEpoch: number;
}

export interface ListOffsetsTopicResponse {
  name: string;
  partitions: ListOffsetsPartitionResponse[];
}

export interface ListOffsetsResponse {
  /** v2+; 0 in v1. */
  throttleTimeMs: number;
  topics: ListOffsetsTopicResponse[];
}

export function decodeListOffsetsRequest(r: Reader, version: number): ListOffsetsRequest {
  const replicaId = r.int32();
  const isolationLevel = version >= 2 ? r.int8() : 0;
  const topics = r.array(false, (r): ListOffsetsTopic => {
    const name = r.string();
    const partitions = r.array(false, (r): ListOffsetsPartition => {
      const partitionIndex = r.int32();
      const currentLeaderEpoch = version >= 4 ? r.int32() : -1;
      const timestamp = r.int64();
      return { partitionIndex, currentLeaderEpoch, timestamp };
    });
    return { name, partitions };
  });
  return { replicaId, isolationLevel, topics };
}

export function encodeListOffsetsRequest(w: Writer, version: number, req: ListOffsetsRequest): void {
  w.int32(req.replicaId);
  if (version >= 2) w.int8(req.isolationLevel);
  w.array(req.topics, false, (w, t) => {
    w.string(t.name);
    w.array(t.partitions, false, (w, p) => {
      w.int32(p.partitionIndex);
      if (version >= 4) w.int32(p.currentLeaderEpoch);
      w.int64(p.timestamp);
    });
  });
}

export function encodeListOffsetsResponse(w: Writer, version: number, res: ListOffsetsResponse): void {
  if (version >= 2) w.int32(res.throttleTimeMs);
  w.array(res.topics, false, (w, t) => {
    w.string(t.name);
    w.array(t.partitions, false, (w, p) => {
      w.int32(p.partitionIndex).int16(p.errorCode).int64(p.timestamp).int64(p.offset);
      if (version >= 4) w.int32(p.leaderEpoch);
    });
  });
}

export function decodeListOffsetsResponse(r: Reader, version: number): ListOffsetsResponse {
  const throttleTimeMs = version >= 2 ? r.int32() : 0;
  const topics = r.array(false, (r): ListOffsetsTopicResponse => {
    const name = r.string();
    const partitions = r.array(false, (r): ListOffsetsPartitionResponse => {
      const partitionIndex = r.int32();
      const errorCode = r.int16();
      const timestamp = r.int64();
      const offset = r.int64();
      const leaderEpoch = version >= 4 ? r.int32() : -1;
      return { partitionIndex, errorCode, timestamp, offset, leaderEpoch };
    });
    return { name, partitions };
  });
  return { throttleTimeMs, topics };
}
