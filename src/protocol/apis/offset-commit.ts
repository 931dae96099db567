/**
 * OffsetCommit (key 8), versions 0-8, flexible from 8.
 *
 * Request:
 *   group_id                 string
 *   generation_id            int32            v1+  (absent: -1; "GenerationIdOrMemberEpoch" in the spec)
 *   member_id                string           v1+  (absent: '')
 *   group_instance_id        nullable string  v7+
 *   retention_time_ms        int64            v2-4 (absent: -1 = broker default)
 *   topics                   [name string, partitions [Partition]]
 *     Partition: partition_index int32, committed_offset int64,
 *                committed_leader_epoch int32 v6+ (absent: -1),
 *                commit_timestamp int64 v1 only (absent: -1),
 *                committed_metadata nullable string
 * Response:
 *   throttle_time_ms         int32  v3+
 *   topics                   [name string, partitions [partition_index int32, error_code int16]]
 */
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';
import type { ApiSpec } from './api.js';

export const OffsetCommitApi: ApiSpec = {
  key: 8,
  name: 'OffsetCommit',
  minVersion: 0,
  maxVersion: 8,
  flexibleFrom: 8,
};

export interface OffsetCommitPartition {
  partitionIndex: number;
  committedOffset: number;
  committedLeaderEpoch: number;
  commitTimestamp: number;
  committedMetadata: string | null;
}

export interface OffsetCommitTopic {
  name: string;
  partitions: OffsetCommitPartition[];
}

export interface OffsetCommitRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  retentionTimeMs: number;
  topics: OffsetCommitTopic[];
}

export interface OffsetCommitPartitionResult {
  partitionIndex: number;
  errorCode: number;
}

export interface OffsetCommitTopicResult {
  name: string;
  partitions: OffsetCommitPartitionResult[];
}

export interface OffsetCommitResponse {
  throttleTimeMs: number;
  topics: OffsetCommitTopicResult[];
}

const flex = (version: number) => version >= OffsetCommitApi.flexibleFrom;

export function decodeOffsetCommitRequest(r: Reader, version: number): OffsetCommitRequest {
  const f = flex(version);
  const groupId = r.str(f);
  const generationId = version >= 1 ? r.int32() : -1;
  const memberId = version >= 1 ? r.str(f) : '';
  const groupInstanceId = version >= 7 ? r.nullableStr(f) : null;
  const retentionTimeMs = version >= 2 && version <= 4 ? r.int64() : -1;
  const topics = r.array(f, (t) => {
    const name = t.str(f);
    const partitions = t.array(f, (p) => {
      const partitionIndex = p.int32();
      const committedOffset = p.int64();
      const committedLeaderEpoch = version >= 6 ? p.int32() : -1;
      const commitTimestamp = version === 1 ? p.int64() : -1;
      const committedMetadata = p.nullableStr(f);
      p.tags(f);
      return { partitionIndex, committedOffset, committedLeaderEpoch, commitTimestamp, committedMetadata };
    });
    t.tags(f);
    return { name, partitions };
  });
  r.tags(f);
  return { groupId, generationId, memberId, groupInstanceId, retentionTimeMs, topics };
}

export function encodeOffsetCommitRequest(w: Writer, version: number, req: OffsetCommitRequest): void {
  const f = flex(version);
  w.str(req.groupId, f);
  if (version >= 1) w.int32(req.generationId).str(req.memberId, f);
  if (version >= 7) w.nullableStr(req.groupInstanceId, f);
  if (version >= 2 && version <= 4) w.int64(req.retentionTimeMs);
  w.array(req.topics, f, (t, topic) => {
    t.str(topic.name, f);
    t.array(topic.partitions, f, (p, part) => {
      p.int32(part.partitionIndex).int64(part.committedOffset);
      if (version >= 6) p.int32(part.committedLeaderEpoch);
      if (version === 1) p.int64(part.commitTimestamp);
      p.nullableStr(part.committedMetadata, f).tags(f);
    });
    t.tags(f);
  });
  w.tags(f);
}

export function encodeOffsetCommitResponse(w: Writer, version: number, res: OffsetCommitResponse): void {
  const f = flex(version);
  if (version >= 3) w.int32(res.throttleTimeMs);
  w.array(res.topics, f, (t, topic) => {
    t.str(topic.name, f);
    t.array(topic.partitions, f, (p, part) => p.int32(part.partitionIndex).int16(part.errorCode).tags(f));
    t.tags(f);
  });
  w.tags(f);
}

export function decodeOffsetCommitResponse(r: Reader, version: number): OffsetCommitResponse {
  const f = flex(version);
  const throttleTimeMs = version >= 3 ? r.int32() : 0;
  const topics = r.array(f, (t) => {
    const name = t.str(f);
    const partitions = t.array(f, (p) => {
      const result = { partitionIndex: p.int32(), errorCode: p.int16() };
      p.tags(f);
      return result;
    });
    t.tags(f);
    return { name, partitions };
  });
  r.tags(f);
  return { throttleTimeMs, topics };
}
