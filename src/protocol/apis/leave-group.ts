/**
 * LeaveGroup (key 13), versions 0-4, flexible from 4.
 *
 * Request:
 *   group_id            string
 *   member_id           string   v0-2
 *   members             [MemberIdentity]  v3+  (batch leave, KIP-345)
 *     member_id string, group_instance_id nullable string
 * Response:
 *   throttle_time_ms    int32  v1+
 *   error_code          int16
 *   members             [MemberResponse]  v3+
 *     member_id string, group_instance_id nullable string, error_code int16
 *
 * Before v3 the single member_id is the whole request; from v3 it decodes as '' and the members
 * list carries the identities.
 */
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';
import type { ApiSpec } from './api.js';

export const LeaveGroupApi: ApiSpec = {
  key: 13,
  name: 'LeaveGroup',
  minVersion: 0,
  maxVersion: 4,
  flexibleFrom: 4,
};

export interface LeavingMember {
  memberId: string;
  groupInstanceId: string | null;
}

export interface LeaveGroupRequest {
  groupId: string;
  /** v0-2. */
  memberId: string;
  /** v3+. */
  members: LeavingMember[];
}

export interface LeftMember {
  memberId: string;
  groupInstanceId: string | null;
  errorCode: number;
}

export interface LeaveGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  /** v3+. */
  members: LeftMember[];
}

const flex = (version: number) => version >= LeaveGroupApi.flexibleFrom;

export function decodeLeaveGroupRequest(r: Reader, version: number): LeaveGroupRequest {
  const f = flex(version);
  const groupId = r.str(f);
  const memberId = version <= 2 ? r.str(f) : '';
  const members =
    version >= 3
      ? r.array(f, (a) => {
          const m: LeavingMember = { memberId: a.str(f), groupInstanceId: a.nullableStr(f) };
          a.tags(f);
          return m;
        })
      : [];
  r.tags(f);
  return { groupId, memberId, members };
}

export function encodeLeaveGroupRequest(w: Writer, version: number, req: LeaveGroupRequest): void {
  const f = flex(version);
  w.str(req.groupId, f);
  if (version <= 2) w.str(req.memberId, f);
  else w.array(req.members, f, (a, m) => a.str(m.memberId, f).nullableStr(m.groupInstanceId, f).tags(f));
  w.tags(f);
}

export function encodeLeaveGroupResponse(w: Writer, version: number, res: LeaveGroupResponse): void {
  const f = flex(version);
  if (version >= 1) w.int32(res.throttleTimeMs);
  w.int16(res.errorCode);
  if (version >= 3) {
    w.array(res.members, f, (a, m) =>
      a.str(m.memberId, f).nullableStr(m.groupInstanceId, f).int16(m.errorCode).tags(f),
    );
  }
  w.tags(f);
}

export function decodeLeaveGroupResponse(r: Reader, version: number): LeaveGroupResponse {
  const f = flex(version);
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  const errorCode = r.int16();
  const members =
    version >= 3
      ? r.array(f, (a) => {
          const m: LeftMember = {
            memberId: a.str(f),
            groupInstanceId: a.nullableStr(f),
            errorCode: a.int16(),
          };
          a.tags(f);
          return m;
        })
      : [];
  r.tags(f);
  return { throttleTimeMs, errorCode, members };
}
