/**
 * Metadata (key 3), versions 0-9; flexible from v9 (compact strings/arrays, tagged fields).
 *
 *   MetadataRequest
 *     topics                               [MetadataRequestTopic]  v0+, nullable v1+
 *       name                               string                  v0+
 *       _tagged_fields                                             v9+
 *     allow_auto_topic_creation            bool                    v4+ (default true)
 *     include_cluster_authorized_operations bool                   v8-10
 *     include_topic_authorized_operations  bool                    v8+
 *     _tagged_fields                                               v9+
 *
 *   MetadataResponse
 *     throttle_time_ms                     int32                   v3+
 *     brokers                              [MetadataResponseBroker] v0+
 *       node_id                            int32                   v0+
 *       host                               string                  v0+
 *       port                               int32                   v0+
 *       rack                               nullable string         v1+
 *       _tagged_fields                                             v9+
 *     cluster_id                           nullable string         v2+
 *     controller_id                        int32                   v1+ (default -1)
 *     topics                               [MetadataResponseTopic] v0+
 *       error_code                         int16                   v0+
 *       name                               string                  v0+
 *       is_internal                        bool                    v1+
 *       partitions                         [MetadataResponsePartition] v0+
 *         error_code                       int16                   v0+
 *         partition_index                  int32                   v0+
 *         leader_id                        int32                   v0+
 *         leader_epoch                     int32                   v7+ (default -1)
 *         replica_nodes                    [int32]                 v0+
 *         isr_nodes                        [int32]                 v0+
 *         offline_replicas                 [int32]                 v5+
 *         _tagged_fields                                           v9+
 *       topic_authorized_operations        int32                   v8+ (default -2^31)
 *       _tagged_fields                                             v9+
 *     cluster_authorized_operations        int32                   v8-10 (default -2^31)
 *     _tagged_fields                                               v9+
 *
 * v0: an empty topic list means all topics; v1+: null means all, empty means none. Topic ids
 * (v10+) are not spoken: advertising Metadata v10+ would oblige Fetch by topic id.
 */
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';
import type { ApiSpec } from './api.js';

export const MetadataApi: ApiSpec = {
  key: 3,
  name: 'Metadata',
  minVersion: 0,
  maxVersion: 9,
  flexibleFrom: 9,
};

/** "Not provided" for the authorized-operations bit fields. */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

export interface MetadataRequestTopic {
  name: string;
}

export interface MetadataRequest {
  /** null = all topics (v1+). In v0 null is sent as the empty list, which means all there. */
  topics: MetadataRequestTopic[] | null;
  /** v4+; true before. */
  allowAutoTopicCreation: boolean;
  /** v8-10; false otherwise. */
  includeClusterAuthorizedOperations: boolean;
  /** v8+; false before. */
  includeTopicAuthorizedOperations: boolean;
}

export interface MetadataResponseBroker {
  nodeId: number;
  host: string;
  port: number;
  /** v1+; null in v0. */
  rack: string | null;
}

export interface MetadataResponsePartition {
  errorCode: number;
  partitionIndex: number;
  leaderId: number;
  /** v7+; -1 before. */
  leaderEpoch: number;
  replicaNodes: number[];
  isrNodes: number[];
  /** v5+; [] before. */
  offlineReplicas: number[];
}

export interface MetadataResponseTopic {
  errorCode: number;
  name: string;
  /** v10+ only, never on the wire in the versions mq speaks; accepted and ignored. */
  topicId?: Buffer | null;
  /** v1+; false in v0. */
  isInternal: boolean;
  partitions: MetadataResponsePartition[];
  /** v8+; AUTHORIZED_OPERATIONS_OMITTED before. */
  topicAuthorizedOperations: number;
}

export interface MetadataResponse {
  /** v3+; 0 before. */
  throttleTimeMs: number;
  brokers: MetadataResponseBroker[];
  /** v2+; null before. */
  clusterId: string | null;
  /** v1+; -1 in v0. */
  controllerId: number;
  topics: MetadataResponseTopic[];
  /** v8-10; AUTHORIZED_OPERATIONS_OMITTED otherwise. */
  clusterAuthorizedOperations: number;
}

const flex = (version: number) => version >= MetadataApi.flexibleFrom;

export function decodeMetadataRequest(r: Reader, version: number): MetadataRequest {
  const flexible = flex(version);
  const readTopic = (r: Reader): MetadataRequestTopic => {
    const name = r.str(flexible);
    r.tags(flexible);
    return { name };
  };
  const topics = version >= 1 ? r.nullableArray(flexible, readTopic) : r.array(flexible, readTopic);
  const allowAutoTopicCreation = version >= 4 ? r.boolean() : true;
  const includeClusterAuthorizedOperations = version >= 8 && version <= 10 ? r.boolean() : false;
  const includeTopicAuthorizedOperations = version >= 8 ? r.boolean() : false;
  r.tags(flexible);
  return {
    topics,
    allowAutoTopicCreation,
    includeClusterAuthorizedOperations,
    includeTopicAuthorizedOperations,
  };
}

export function encodeMetadataRequest(w: Writer, version: number, req: MetadataRequest): void {
  const flexible = flex(version);
  const topics = req.topics === null && version === 0 ? [] : req.topics;
  w.nullableArray(topics, flexible, (w, t) => {
    w.str(t.name, flexible).tags(flexible);
  });
  if (version >= 4) w.boolean(req.allowAutoTopicCreation);
  if (version >= 8 && version <= 10) w.boolean(req.includeClusterAuthorizedOperations);
  if (version >= 8) w.boolean(req.includeTopicAuthorizedOperations);
  w.tags(flexible);
}

function int32s(w: Writer, values: readonly number[], flexible: boolean): void {
  w.arrayLength(values.length, flexible);
  for (const v of values) w.int32(v);
}

export function encodeMetadataResponse(w: Writer, version: number, res: MetadataResponse): void {
  const flexible = flex(version);
  if (version >= 3) w.int32(res.throttleTimeMs);
  w.array(res.brokers, flexible, (w, b) => {
    w.int32(b.nodeId).str(b.host, flexible).int32(b.port);
    if (version >= 1) w.nullableStr(b.rack, flexible);
    w.tags(flexible);
  });
  if (version >= 2) w.nullableStr(res.clusterId, flexible);
  if (version >= 1) w.int32(res.controllerId);
  w.array(res.topics, flexible, (w, t) => {
    w.int16(t.errorCode).str(t.name, flexible);
    if (version >= 1) w.boolean(t.isInternal);
    w.array(t.partitions, flexible, (w, p) => {
      w.int16(p.errorCode).int32(p.partitionIndex).int32(p.leaderId);
      if (version >= 7) w.int32(p.leaderEpoch);
      int32s(w, p.replicaNodes, flexible);
      int32s(w, p.isrNodes, flexible);
      if (version >= 5) int32s(w, p.offlineReplicas, flexible);
      w.tags(flexible);
    });
    if (version >= 8) w.int32(t.topicAuthorizedOperations);
    w.tags(flexible);
  });
  if (version >= 8 && version <= 10) w.int32(res.clusterAuthorizedOperations);
  w.tags(flexible);
}

export function decodeMetadataResponse(r: Reader, version: number): MetadataResponse {
  const flexible = flex(version);
  const int32 = (r: Reader) => r.int32();
  const throttleTimeMs = version >= 3 ? r.int32() : 0;
  const brokers = r.array(flexible, (r): MetadataResponseBroker => {
    const nodeId = r.int32();
    const host = r.str(flexible);
    const port = r.int32();
    const rack = version >= 1 ? r.nullableStr(flexible) : null;
    r.tags(flexible);
    return { nodeId, host, port, rack };
  });
  const clusterId = version >= 2 ? r.nullableStr(flexible) : null;
  const controllerId = version >= 1 ? r.int32() : -1;
  const topics = r.array(flexible, (r): MetadataResponseTopic => {
    const errorCode = r.int16();
    const name = r.str(flexible);
    const isInternal = version >= 1 ? r.boolean() : false;
    const partitions = r.array(flexible, (r): MetadataResponsePartition => {
      const errorCode = r.int16();
      const partitionIndex = r.int32();
      const leaderId = r.int32();
      const leaderEpoch = version >= 7 ? r.int32() : -1;
      const replicaNodes = r.array(flexible, int32);
      const isrNodes = r.array(flexible, int32);
      const offlineReplicas = version >= 5 ? r.array(flexible, int32) : [];
      r.tags(flexible);
      return { errorCode, partitionIndex, leaderId, leaderEpoch, replicaNodes, isrNodes, offlineReplicas };
    });
    const topicAuthorizedOperations = version >= 8 ? r.int32() : AUTHORIZED_OPERATIONS_OMITTED;
    r.tags(flexible);
    return { errorCode, name, isInternal, partitions, topicAuthorizedOperations };
  });
  const clusterAuthorizedOperations =
    version >= 8 && version <= 10 ? r.int32() : AUTHORIZED_OPERATIONS_OMITTED;
  r.tags(flexible);
  return { throttleTimeMs, brokers, clusterId, controllerId, topics, clusterAuthorizedOperations };
}
