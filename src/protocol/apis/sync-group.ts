/**
 * SyncGroup (key 14), versions 0-4, flexible from 4.
 *
 * Request:
 *   group_id            string
 *   generation_id       int32
 *   member_id           string
 *   group_instance_id   nullable string  v3+
 *   assignments         [member_id string, assignment bytes]   (only the leader sends any)
 * Response:
 *   throttle_time_ms    int32  v1+
 *   error_code          int16
 *   assignment          bytes
 *
 * v5 adds protocol_type / protocol_name; mq stops at v4. Assignments are opaque bytes (see
 * consumer-protocol.ts); decoded ones are copies, because the coordinator keeps them.
 */
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';
import type { ApiSpec } from './api.js';

export const SyncGroupApi: ApiSpec = {
  key: 14,
  name: 'SyncGroup',
  minVersion: 0,
  maxVersion: 4,
  flexibleFrom: 4,
};

export interface SyncGroupAssignment {
  memberId: string;
  assignment: Buffer;
}

export interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  assignments: SyncGroupAssignment[];
}

export interface SyncGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  assignment: Buffer;
}

const flex = (version: number) => version >= SyncGroupApi.flexibleFrom;

export function decodeSyncGroupRequest(r: Reader, version: number): SyncGroupRequest {
  const f = flex(version);
  const groupId = r.str(f);
  const generationId = r.int32();
  const memberId = r.str(f);
  const groupInstanceId = version >= 3 ? r.nullableStr(f) : null;
  const assignments = r.array(f, (a) => {
    const s = { memberId: a.str(f), assignment: Buffer.from(a.byteArray(f)) };
    a.tags(f);
    return s;
  });
  r.tags(f);
  return { groupId, generationId, memberId, groupInstanceId, assignments };
}

export function encodeSyncGroupRequest(w: Writer, version: number, req: SyncGroupRequest): void {
  const f = flex(version);
  w.str(req.groupId, f).int32(req.generationId).str(req.memberId, f);
  if (version >= 3) w.nullableStr(req.groupInstanceId, f);
  w.array(req.assignments, f, (a, s) => a.str(s.memberId, f).byteArray(s.assignment, f).tags(f));
  w.tags(f);
}

export function encodeSyncGroupResponse(w: Writer, version: number, res: SyncGroupResponse): void {
  const f = flex(version);
  if (version >= 1) w.int32(res.throttleTimeMs);
  w.int16(res.errorCode).byteArray(res.assignment, f).tags(f);
}

export function decodeSyncGroupResponse(r: Reader, version: number): SyncGroupResponse {
  const f = flex(version);
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  const errorCode = r.int16();
  const assignment = Buffer.from(r.byteArray(f));
  r.tags(f);
  return { throttleTimeMs, errorCode, assignment };
}
