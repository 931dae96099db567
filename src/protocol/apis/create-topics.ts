/**
 * CreateTopics (key 19), versions 0-7; flexible from v5.
 *
 *   CreateTopicsRequest
 *     topics                   [CreatableTopic]  v0+
 *       name                   string            v0+
 *       num_partitions         int32             v0+  (-1: broker default)
 *       replication_factor     int16             v0+  (-1: broker default)
 *       assignments            [CreatableReplicaAssignment] v0+
 *         partition_index      int32             v0+
 *         broker_ids           [int32]           v0+
 *         _tagged_fields                         v5+
 *       configs                [CreatableTopicConfig] v0+
 *         name                 string            v0+
 *         value                nullable string   v0+
 *         _tagged_fields                         v5+
 *       _tagged_fields                           v5+
 *     timeout_ms               int32             v0+
 *     validate_only            bool              v1+ (default false)
 *     _tagged_fields                             v5+
 *
 *   CreateTopicsResponse
 *     throttle_time_ms         int32             v2+
 *     topics                   [CreatableTopicResult] v0+
 *       name                   string            v0+
 *       topic_id               uuid              v7+
 *       error_code             int16             v0+
 *       error_message          nullable string   v1+
 *       topic_config_error_code int16            v5+, tagged (tag 0; written only when non-zero)
 *       num_partitions         int32             v5+ (default -1)
 *       replication_factor     int16             v5+ (default -1)
 *       configs                [CreatableTopicConfigs] v5+, nullable v5+
 *         name                 string            v5+
 *         value                nullable string   v5+
 *         read_only            bool              v5+
 *         config_source        int8              v5+ (default -1)
 *         is_sensitive         bool              v5+
 *         _tagged_fields                         v5+
 *       _tagged_fields                           v5+
 *     _tagged_fields                             v5+
 */
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';
import type { ApiSpec } from './api.js';

export const CreateTopicsApi: ApiSpec = {
  key: 19,
  name: 'CreateTopics',
  minVersion: 0,
  maxVersion: 7,
  flexibleFrom: 5,
};

const TOPIC_CONFIG_ERROR_CODE_TAG = 0;

export interface CreateTopicsAssignment {
  partitionIndex: number;
  brokerIds: number[];
}

export interface CreateTopicsConfig {
  name: string;
  value: string | null;
}

export interface CreateTopicsTopic {
  name: string;
  numPartitions: number;
  replicationFactor: number;
  assignments: CreateTopicsAssignment[];
  configs: CreateTopicsConfig[];
}

export interface CreateTopicsRequest {
  topics: CreateTopicsTopic[];
  timeoutMs: number;
  /** v1+; false in v0. */
  validateOnly: boolean;
}

export interface CreateTopicsResultConfig {
  name: string;
  value: string | null;
  readOnly: boolean;
  configSource: number;
  isSensitive: boolean;
}

export interface CreateTopicsTopicResult {
  name: string;
  /** v7+; null (all-zero uuid on the wire) when unknown, and before v7. */
  topicId: Buffer | null;
  errorCode: number;
  /** v1+; null in v0. */
  errorMessage: string | null;
  /** v5+ tagged field; 0 when absent. */
  topicConfigErrorCode: number;
  /** v5+; -1 before. */
  numPartitions: number;
  /** v5+; -1 before. */
  replicationFactor: number;
  /** v5+; null before. */
  configs: CreateTopicsResultConfig[] | null;
}

export interface CreateTopicsResponse {
  /** v2+; 0 before. */
  throttleTimeMs: number;
  topics: CreateTopicsTopicResult[];
}

const flex = (version: number) => version >= CreateTopicsApi.flexibleFrom;
const ZERO_UUID = Buffer.alloc(16);

export function decodeCreateTopicsRequest(r: Reader, version: number): CreateTopicsRequest {
  const flexible = flex(version);
  const topics = r.array(flexible, (r): CreateTopicsTopic => {
    const name = r.str(flexible);
    const numPartitions = r.int32();
    const replicationFactor = r.int16();
    const assignments = r.array(flexible, (r): CreateTopicsAssignment => {
      const partitionIndex = r.int32();
      const brokerIds = r.array(flexible, (r) => r.int32());
      r.tags(flexible);
      return { partitionIndex, brokerIds };
    });
    const configs = r.array(flexible, (r): CreateTopicsConfig => {
      const name = r.str(flexible);
      const value = r.nullableStr(flexible);
      r.tags(flexible);
      return { name, value };
    });
    r.tags(flexible);
    return { name, numPartitions, replicationFactor, assignments, configs };
  });
  const timeoutMs = r.int32();
  const validateOnly = version >= 1 ? r.boolean() : false;
  r.tags(flexible);
  return { topics, timeoutMs, validateOnly };
}

export function encodeCreateTopicsRequest(w: Writer, version: number, req: CreateTopicsRequest): void {
  const flexible = flex(version);
  w.array(req.topics, flexible, (w, t) => {
    w.str(t.name, flexible).int32(t.numPartitions).int16(t.replicationFactor);
    w.array(t.assignments, flexible, (w, a) => {
      w.int32(a.partitionIndex).arrayLength(a.brokerIds.length, flexible);
      for (const id of a.brokerIds) w.int32(id);
      w.tags(flexible);
    });
    w.array(t.configs, flexible, (w, c) => {
      w.str(c.name, flexible).nullableStr(c.value, flexible).tags(flexible);
    });
    w.tags(flexible);
  });
  w.int32(req.timeoutMs);
  if (version >= 1) w.boolean(req.validateOnly);
  w.tags(flexible);
}

export function encodeCreateTopicsResponse(w: Writer, version: number, res: CreateTopicsResponse): void {
  const flexible = flex(version);
  if (version >= 2) w.int32(res.throttleTimeMs);
  w.array(res.topics, flexible, (w, t) => {
    w.str(t.name, flexible);
    if (version >= 7) w.uuid(t.topicId);
    w.int16(t.errorCode);
    if (version >= 1) w.nullableStr(t.errorMessage, flexible);
    if (version >= 5) {
      w.int32(t.numPartitions).int16(t.replicationFactor);
      w.nullableArray(t.configs, flexible, (w, c) => {
        w.str(c.name, flexible).nullableStr(c.value, flexible);
        w.boolean(c.readOnly).int8(c.configSource).boolean(c.isSensitive).tags(flexible);
      });
    }
    if (flexible && t.topicConfigErrorCode !== 0) {
      w.uvarint(1).uvarint(TOPIC_CONFIG_ERROR_CODE_TAG).uvarint(2).int16(t.topicConfigErrorCode);
    } else {
      w.tags(flexible);
    }
  });
  w.tags(flexible);
}

export function decodeCreateTopicsResponse(r: Reader, version: number): CreateTopicsResponse {
  const flexible = flex(version);
  const throttleTimeMs = version >= 2 ? r.int32() : 0;
  const topics = r.array(flexible, (r): CreateTopicsTopicResult => {
    const name = r.str(flexible);
    const id = version >= 7 ? r.uuid() : null;
    const topicId = id === null || id.equals(ZERO_UUID) ? null : id;
    const errorCode = r.int16();
    const errorMessage = version >= 1 ? r.nullableStr(flexible) : null;
    let numPartitions = -1;
    let replicationFactor = -1;
    let configs: CreateTopicsResultConfig[] | null = null;
    if (version >= 5) {
      numPartitions = r.int32();
      replicationFactor = r.int16();
      configs = r.nullableArray(flexible, (r): CreateTopicsResultConfig => {
        const name = r.str(flexible);
        const value = r.nullableStr(flexible);
        const readOnly = r.boolean();
        const configSource = r.int8();
        const isSensitive = r.boolean();
        r.tags(flexible);
        return { name, value, readOnly, configSource, isSensitive };
      });
    }
    let topicConfigErrorCode = 0;
    if (flexible) {
      r.taggedFields((tag, t) => {
        if (tag === TOPIC_CONFIG_ERROR_CODE_TAG) topicConfigErrorCode = t.int16();
      });
    }
    return {
      name,
      topicId,
      errorCode,
      errorMessage,
      topicConfigErrorCode,
      numPartitions,
      replicationFactor,
      configs,
    };
  });
  r.tags(flexible);
  return { throttleTimeMs, topics };
}
