/**
 * DeleteTopics (key 20), versions 0-6; flexible from v4.
 *
 *   DeleteTopicsRequest
 *     topics                   [DeleteTopicState] v6+
 *       name                   nullable string   v6+
 *       topic_id               uuid              v6+
 *       _tagged_fields                           v6+
 *     topic_names              [string]          v0-5
 *     timeout_ms               int32             v0+
 *     _tagged_fields                             v4+
 *
 *   DeleteTopicsResponse
 *     throttle_time_ms         int32             v1+
 *     responses                [DeletableTopicResult] v0+
 *       name                   string            v0+, nullable v6+
 *       topic_id               uuid              v6+
 *       error_code             int16             v0+
 *       error_message          nullable string   v5+
 *       _tagged_fields                           v4+
 *     _tagged_fields                             v4+
 *
 * Each version carries only its own list: `topicNames` up to v5, `topics` from v6. Decoding fills
 * the other with []; encoding ignores it.
 */
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';
import type { ApiSpec } from './api.js';

export const DeleteTopicsApi: ApiSpec = {
  key: 20,
  name: 'DeleteTopics',
  minVersion: 0,
  maxVersion: 6,
  flexibleFrom: 4,
};

export interface DeleteTopicsTopic {
  /** Null when the topic is named by id alone. */
  name: string | null;
  /** Null for the all-zero uuid (no id). */
  topicId: Buffer | null;
}

export interface DeleteTopicsRequest {
  /** v6+; [] before. */
  topics: DeleteTopicsTopic[];
  /** v0-5; [] from v6. */
  topicNames: string[];
  timeoutMs: number;
}

export interface DeleteTopicsResult {
  /** Null only in v6+ (a topic named by an unknown id). */
  name: string | null;
  /** v6+; null before, and for the all-zero uuid. */
  topicId: Buffer | null;
  errorCode: number;
  /** v5+; null before. */
  errorMessage: string | null;
}

export interface DeleteTopicsResponse {
  /** v1+; 0 in v0. */
  throttleTimeMs: number;
  responses: DeleteTopicsResult[];
}

const flex = (version: number) => version >= DeleteTopicsApi.flexibleFrom;
const ZERO_UUID = Buffer.alloc(16);

function uuidOrNull(id: Buffer): Buffer | null {
  return id.equals(ZERO_UUID) ? null : id;
}

function requireName(name: string | null, version: number): string {
  if (name === null) throw new TypeError(`DeleteTopics v${version} response cannot carry a null topic name`);
  return name;
}

export function decodeDeleteTopicsRequest(r: Reader, version: number): DeleteTopicsRequest {
  const flexible = flex(version);
  let topics: DeleteTopicsTopic[] = [];
  let topicNames: string[] = [];
  if (version >= 6) {
    topics = r.array(flexible, (r): DeleteTopicsTopic => {
      const name = r.nullableStr(flexible);
      const topicId = uuidOrNull(r.uuid());
      r.tags(flexible);
      return { name, topicId };
    });
  } else {
    topicNames = r.array(flexible, (r) => r.str(flexible));
  }
  const timeoutMs = r.int32();
  r.tags(flexible);
  return { topics, topicNames, timeoutMs };
}

export function encodeDeleteTopicsRequest(w: Writer, version: number, req: DeleteTopicsRequest): void {
  const flexible = flex(version);
  if (version >= 6) {
    w.array(req.topics, flexible, (w, t) => {
      w.nullableStr(t.name, flexible).uuid(t.topicId).tags(flexible);
    });
  } else {
    w.array(req.topicNames, flexible, (w, name) => {
      w.str(name, flexible);
    });
  }
  w.int32(req.timeoutMs);
  w.tags(flexible);
}

export function encodeDeleteTopicsResponse(w: Writer, version: number, res: DeleteTopicsResponse): void {
  const flexible = flex(version);
  if (version >= 1) w.int32(res.throttleTimeMs);
  w.array(res.responses, flexible, (w, t) => {
    if (version >= 6) w.nullableStr(t.name, flexible).uuid(t.topicId);
    else w.str(requireName(t.name, version), flexible);
    w.int16(t.errorCode);
    if (version >= 5) w.nullableStr(t.errorMessage, flexible);
    w.tags(flexible);
  });
  w.tags(flexible);
}

export function decodeDeleteTopicsResponse(r: Reader, version: number): DeleteTopicsResponse {
  const flexible = flex(version);
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  const responses = r.array(flexible, (r): DeleteTopicsResult => {
    const name = version >= 6 ? r.nullableStr(flexible) : r.str(flexible);
    const topicId = version >= 6 ? uuidOrNull(r.uuid()) : null;
    const errorCode = r.int16();
    const errorMessage = version >= 5 ? r.nullableStr(flexible) : null;
    r.tags(flexible);
    return { name, topicId, errorCode, errorMessage };
  });
  r.tags(flexible);
  return { throttleTimeMs, responses };
}
