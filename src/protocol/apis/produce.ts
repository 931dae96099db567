/**
 * Produce (key 0), versions 3-7. Flexible versions start at v9, so every version here uses
 * classic strings and arrays and has no tagged fields.
 *
 *   ProduceRequest
 *     transactional_id         nullable string   v3+
 *     acks                     int16             v0+
 *     timeout_ms               int32             v0+
 *     topic_data               [TopicProduceData] v0+
 *       name                   string            v0+
 *       partition_data         [PartitionProduceData] v0+
 *         index                int32             v0+
 *         records              nullable records  v0+  (int32 length + RecordBatch v2 bytes)
 *
 *   ProduceResponse
 *     responses                [TopicProduceResponse] v0+
 *       name                   string            v0+
 *       partition_responses    [PartitionProduceResponse] v0+
 *         index                int32             v0+
 *         error_code           int16             v0+
 *         base_offset          int64             v0+
 *         log_append_time_ms   int64             v2+ (default -1)
 *         log_start_offset     int64             v5+ (default -1)
 *         record_errors        [...]             v8+ (not spoken here)
 *         error_message        nullable string   v8+ (not spoken here)
 *     throttle_time_ms         int32             v1+
 *
 * Request records are returned as a view into the request frame (no copy): the broker validates
 * them and appends the bytes verbatim. acks=0 gets no response at all.
 */
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';
import type { ApiSpec } from './api.js';

export const ProduceApi: ApiSpec = { key: 0, name: 'Produce', minVersion: 3, maxVersion: 7, flexibleFrom: 9 };

export interface ProducePartitionData {
  index: number;
  /** One or more RecordBatch v2, back to back; a view into the frame when decoded. */
  records: Buffer | null;
}

export interface ProduceTopicData {
  name: string;
  partitionData: ProducePartitionData[];
}

export interface ProduceRequest {
  transactionalId: string | null;
  acks: number;
  timeoutMs: number;
  topicData: ProduceTopicData[];
}

export interface ProduceRecordError {
  batchIndex: number;
  batchIndexErrorMessage: string | null;
}

export interface ProducePartitionResponse {
  index: number;
  errorCode: number;
  baseOffset: number;
  /** v2+; -1 when the topic uses CreateTime. */
  logAppendTimeMs: number;
  /** v5+; -1 before. */
  logStartOffset: number;
  /** v8+: never on the wire in v3-7; accepted so handlers can state it, [] when decoded. */
  recordErrors?: ProduceRecordError[];
  /** v8+: never on the wire in v3-7; null when decoded. */
  errorMessage?: string | null;
}

export interface ProduceTopicResponse {
  name: string;
  partitionResponses: ProducePartitionResponse[];
}

export interface ProduceResponse {
  responses: ProduceTopicResponse[];
  throttleTimeMs: number;
}

export function decodeProduceRequest(r: Reader, _version: number): ProduceRequest {
  const transactionalId = r.nullableString();
  const acks = r.int16();
  const timeoutMs = r.int32();
  const topicData = r.array(false, (r): ProduceTopicData => {
    const name = r.string();
    const partitionData = r.array(false, (r): ProducePartitionData => {
      const index = r.int32();
      const records = r.nullableBytes();
      return { index, records };
    });
    return { name, partitionData };
  });
  return { transactionalId, acks, timeoutMs, topicData };
}

export function encodeProduceRequest(w: Writer, _version: number, req: ProduceRequest): void {
  w.nullableString(req.transactionalId).int16(req.acks).int32(req.timeoutMs);
  w.array(req.topicData, false, (w, t) => {
    w.string(t.name);
    w.array(t.partitionData, false, (w, p) => {
      w.int32(p.index).nullableBytes(p.records);
    });
  });
}

export function encodeProduceResponse(w: Writer, version: number, res: ProduceResponse): void {
  w.array(res.responses, false, (w, t) => {
    w.string(t.name);
    w.array(t.partitionResponses, false, (w, p) => {
      w.int32(p.index).int16(p.errorCode).int64(p.baseOffset);
      if (version >= 2) w.int64(p.logAppendTimeMs);
      if (version >= 5) w.int64(p.logStartOffset);
    });
  });
  if (version >= 1) w.int32(res.throttleTimeMs);
}

export function decodeProduceResponse(r: Reader, version: number): ProduceResponse {
  const responses = r.array(false, (r): ProduceTopicResponse => {
    const name = r.string();
    const partitionResponses = r.array(false, (r): ProducePartitionResponse => {
      const index = r.int32();
      const errorCode = r.int16();
      const baseOffset = r.int64();
      const logAppendTimeMs = version >= 2 ? r.int64() : -1;
      const logStartOffset = version >= 5 ? r.int64() : -1;
      return {
        index,
        errorCode,
        baseOffset,
        logAppendTimeMs,
        logStartOffset,
        recordErrors: [],
        errorMessage: null,
      };
    });
    return { name, partitionResponses };
  });
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  return { responses, throttleTimeMs };
}
