/**
 * Heartbeat (key 12), versions 0-4, flexible from 4.
 *
 * Request:
 *   group_id            string
 *   generation_id       int32
 *   member_id           string
 *   group_instance_id   nullable string  v3+
 * Response:
 *   throttle_time_ms    int32  v1+
 *   error_code          int16  (REBALANCE_IN_PROGRESS tells the member to rejoin)
 */
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';
import type { ApiSpec } from './api.js';

export const HeartbeatApi: ApiSpec = {
  key: 12,
  name: 'Heartbeat',
  minVersion: 0,
  maxVersion: 4,
  flexibleFrom: 4,
};

export interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface HeartbeatResponse {
  throttleTimeMs: number;
  errorCode: number;
}

const flex = (version: number) => version >= HeartbeatApi.flexibleFrom;

export function decodeHeartbeatRequest(r: Reader, version: number): HeartbeatRequest {
  const f = flex(version);
  const groupId = r.str(f);
  const generationId = r.int32();
  const memberId = r.str(f);
  const groupInstanceId = version >= 3 ? r.nullableStr(f) : null;
  r.tags(f);
  return { groupId, generationId, memberId, groupInstanceId };
}

export function encodeHeartbeatRequest(w: Writer, version: number, req: HeartbeatRequest): void {
  const f = flex(version);
  w.str(req.groupId, f).int32(req.generationId).str(req.memberId, f);
  if (version >= 3) w.nullableStr(req.groupInstanceId, f);
  w.tags(f);
}

export function encodeHeartbeatResponse(w: Writer, version: number, res: HeartbeatResponse): void {
  const f = flex(version);
  if (version >= 1) w.int32(res.throttleTimeMs);
  w.int16(res.errorCode).tags(f);
}

export function decodeHeartbeatResponse(r: Reader, version: number): HeartbeatResponse {
  const f = flex(version);
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  const errorCode = r.int16();
  r.tags(f);
  return { throttleTimeMs, errorCode };
}
