/**
 * OffsetFetch (key 9), versions 0-8, flexible from 6.
 *
 * Request:
 *   group_id            string                    v0-7
 *   topics              [Topic]                   v0-7  (nullable from v2: null = all topics)
 *     Topic: name string, partition_indexes [int32]
 *   groups              [Group]                   v8+   (batched, KIP-709)
 *     Group: group_id string, topics nullable [Topic]
 *   require_stable      bool                      v7+
 * Response:
 *   throttle_time_ms    int32                     v3+
 *   topics              [TopicResult]             v0-7
 *     TopicResult: name string, partitions [PartitionResult]
 *     PartitionResult: partition_index int32, committed_offset int64,
 *                      committed_leader_epoch int32 (v5-7 here, always in v8 groups; absent: -1),
 *                      metadata nullable string, error_code int16
 *   error_code          int16                     v2-7
 *   groups              [GroupResult]             v8+
 *     GroupResult: group_id string, topics [TopicResult], error_code int16
 *
 * A committed_offset of -1 means "no committed offset" (error_code 0).
 */
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';
import type { ApiSpec } from './api.js';

export const OffsetFetchApi: ApiSpec = {
  key: 9,
  name: 'OffsetFetch',
  minVersion: 0,
  maxVersion: 8,
  flexibleFrom: 6,
};

export interface OffsetFetchTopic {
  name: string;
  partitionIndexes: number[];
}

export interface OffsetFetchGroup {
  groupId: string;
  /** null = every topic the group has offsets for. */
  topics: OffsetFetchTopic[] | null;
}

export interface OffsetFetchRequest {
  /** v0-7. */
  groupId: string;
  /** v0-7; null (v2+) = all topics. */
  topics: OffsetFetchTopic[] | null;
  /** v8+. */
  groups: OffsetFetchGroup[];
  requireStable: boolean;
}

export interface OffsetFetchPartitionResult {
  partitionIndex: number;
  committedOffset: number;
  committedLeaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}

export interface OffsetFetchTopicResult {
  name: string;
  partitions: OffsetFetchPartitionResult[];
}

export interface OffsetFetchGroupResult {
  groupId: string;
  topics: OffsetFetchTopicResult[];
  errorCode: number;
}

export interface OffsetFetchResponse {
  throttleTimeMs: number;
  /** v0-7. */
  topics: OffsetFetchTopicResult[];
  /** v2-7 group-level error. */
  errorCode: number;
  /** v8+. */
  groups: OffsetFetchGroupResult[];
}

const flex = (version: number) => version >= OffsetFetchApi.flexibleFrom;

function decodeTopic(r: Reader, f: boolean): OffsetFetchTopic {
  const t = { name: r.str(f), partitionIndexes: r.array(f, (a) => a.int32()) };
  r.tags(f);
  return t;
}

function encodeTopic(w: Writer, f: boolean, t: OffsetFetchTopic): void {
  w.str(t.name, f)
    .array(t.partitionIndexes, f, (a, p) => a.int32(p))
    .tags(f);
}

export function decodeOffsetFetchRequest(r: Reader, version: number): OffsetFetchRequest {
  const f = flex(version);
  const req: OffsetFetchRequest = { groupId: '', topics: [], groups: [], requireStable: false };
  if (version <= 7) {
    req.groupId = r.str(f);
    req.topics =
      version >= 2 ? r.nullableArray(f, (a) => decodeTopic(a, f)) : r.array(f, (a) => decodeTopic(a, f));
  } else {
    req.groups = r.array(f, (g) => {
      const group = { groupId: g.str(f), topics: g.nullableArray(f, (a) => decodeTopic(a, f)) };
      g.tags(f);
      return group;
    });
  }
  if (version >= 7) req.requireStable = r.boolean();
  r.tags(f);
  return req;
}

export function encodeOffsetFetchRequest(w: Writer, version: number, req: OffsetFetchRequest): void {
  const f = flex(version);
  if (version <= 7) {
    if (req.topics === null && version < 2)
      throw new Error('OffsetFetch v0-1 cannot ask for all topics (null)');
    w.str(req.groupId, f).nullableArray(req.topics, f, (a, t) => encodeTopic(a, f, t));
  } else {
    w.array(req.groups, f, (g, group) => {
      g.str(group.groupId, f)
        .nullableArray(group.topics, f, (a, t) => encodeTopic(a, f, t))
        .tags(f);
    });
  }
  if (version >= 7) w.boolean(req.requireStable);
  w.tags(f);
}

function decodeTopicResults(r: Reader, f: boolean, withEpoch: boolean): OffsetFetchTopicResult[] {
  return r.array(f, (t) => {
    const name = t.str(f);
    const partitions = t.array(f, (p) => {
      const partitionIndex = p.int32();
      const committedOffset = p.int64();
      const committedLeaderEpoch = withEpoch ? p.int32() : -1;
      const metadata = p.nullableStr(f);
      const errorCode = p.int16();
      p.tags(f);
      return { partitionIndex, committedOffset, committedLeaderEpoch, metadata, errorCode };
    });
    t.tags(f);
    return { name, partitions };
  });
}

function encodeTopicResults(
  w: Writer,
  f: boolean,
  withEpoch: boolean,
  topics: OffsetFetchTopicResult[],
): void {
  w.array(topics, f, (t, topic) => {
    t.str(topic.name, f);
    t.array(topic.partitions, f, (p, part) => {
      p.int32(part.partitionIndex).int64(part.committedOffset);
      if (withEpoch) p.int32(part.committedLeaderEpoch);
      p.nullableStr(part.metadata, f).int16(part.errorCode).tags(f);
    });
    t.tags(f);
  });
}

export function encodeOffsetFetchResponse(w: Writer, version: number, res: OffsetFetchResponse): void {
  const f = flex(version);
  if (version >= 3) w.int32(res.throttleTimeMs);
  if (version <= 7) {
    encodeTopicResults(w, f, version >= 5, res.topics);
    if (version >= 2) w.int16(res.errorCode);
  } else {
    w.array(res.groups, f, (g, group) => {
      g.str(group.groupId, f);
      encodeTopicResults(g, f, true, group.topics);
      g.int16(group.errorCode).tags(f);
    });
  }
  w.tags(f);
}

export function decodeOffsetFetchResponse(r: Reader, version: number): OffsetFetchResponse {
  const f = flex(version);
  const res: OffsetFetchResponse = { throttleTimeMs: 0, topics: [], errorCode: 0, groups: [] };
  if (version >= 3) res.throttleTimeMs = r.int32();
  if (version <= 7) {
    res.topics = decodeTopicResults(r, f, version >= 5);
    if (version >= 2) res.errorCode = r.int16();
  } else {
    res.groups = r.array(f, (g) => {
      const groupId = g.str(f);
      const topics = decodeTopicResults(g, f, true);
      const errorCode = g.int16();
      g.tags(f);
      return { groupId, topics, errorCode };
    });
  }
  r.tags(f);
  return res;
}
