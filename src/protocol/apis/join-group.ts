/**
 * JoinGroup (key 11), versions 0-6, flexible from 6.
 *
 * Request:
 *   group_id              string
 *   session_timeout_ms    int32
 *   rebalance_timeout_ms  int32            v1+  (absent: -1, meaning use the session timeout)
 *   member_id             string
 *   group_instance_id     nullable string  v5+  (static membership, KIP-345)
 *   protocol_type         string
 *   protocols             [name string, metadata bytes]
 * Response:
 *   throttle_time_ms      int32            v2+
 *   error_code            int16
 *   generation_id         int32
 *   protocol_name         string           (nullable only from v7, which mq does not speak)
 *   leader                string
 *   member_id             string
 *   members               [member_id string, group_instance_id nullable string v5+, metadata bytes]
 *
 * From v4 a join with an empty member_id is answered MEMBER_ID_REQUIRED with the assigned
 * member_id, and the client joins again with it; the wire format is unchanged.
 * Protocol metadata is opaque here (see consumer-protocol.ts); decoded bytes are copies, because
 * the group coordinator keeps them after the request frame is gone.
 */
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';
import type { ApiSpec } from './api.js';

export const JoinGroupApi: ApiSpec = {
  key: 11,
  name: 'JoinGroup',
  minVersion: 0,
  maxVersion: 6,
  flexibleFrom: 6,
};

export interface JoinGroupProtocol {
  name: string;
  metadata: Buffer;
}

export interface JoinGroupRequest {
  groupId: string;
  sessionTimeoutMs: number;
  /** -1 before v1. */
  rebalanceTimeoutMs: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string;
  protocols: JoinGroupProtocol[];
}

export interface JoinGroupMember {
  memberId: string;
  groupInstanceId: string | null;
  metadata: Buffer;
}

export interface JoinGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  generationId: number;
  protocolName: string;
  leader: string;
  memberId: string;
  members: JoinGroupMember[];
}

const flex = (version: number) => version >= JoinGroupApi.flexibleFrom;

export function decodeJoinGroupRequest(r: Reader, version: number): JoinGroupRequest {
  const f = flex(version);
  const groupId = r.str(f);
  const sessionTimeoutMs = r.int32();
  const rebalanceTimeoutMs = version >= 1 ? r.int32() : -1;
  const memberId = r.str(f);
  const groupInstanceId = version >= 5 ? r.nullableStr(f) : null;
  const protocolType = r.str(f);
  const protocols = r.array(f, (a) => {
    const p = { name: a.str(f), metadata: Buffer.from(a.byteArray(f)) };
    a.tags(f);
    return p;
  });
  r.tags(f);
  return {
    groupId,
    sessionTimeoutMs,
    rebalanceTimeoutMs,
    memberId,
    groupInstanceId,
    protocolType,
    protocols,
  };
}

export function encodeJoinGroupRequest(w: Writer, version: number, req: JoinGroupRequest): void {
  const f = flex(version);
  w.str(req.groupId, f).int32(req.sessionTimeoutMs);
  if (version >= 1) w.int32(req.rebalanceTimeoutMs);
  w.str(req.memberId, f);
  if (version >= 5) w.nullableStr(req.groupInstanceId, f);
  w.str(req.protocolType, f);
  w.array(req.protocols, f, (a, p) => a.str(p.name, f).byteArray(p.metadata, f).tags(f));
  w.tags(f);
}

export function encodeJoinGroupResponse(w: Writer, version: number, res: JoinGroupResponse): void {
  const f = flex(version);
  if (version >= 2) w.int32(res.throttleTimeMs);
  w.int16(res.errorCode).int32(res.generationId);
  w.str(res.protocolName, f).str(res.leader, f).str(res.memberId, f);
  w.array(res.members, f, (a, m) => {
    a.str(m.memberId, f);
    if (version >= 5) a.nullableStr(m.groupInstanceId, f);
    a.byteArray(m.metadata, f).tags(f);
  });
  w.tags(f);
}

export function decodeJoinGroupResponse(r: Reader, version: number): JoinGroupResponse {
  const f = flex(version);
  const throttleTimeMs = version >= 2 ? r.int32() : 0;
  const errorCode = r.int16();
  const generationId = r.int32();
  const protocolName = r.str(f);
  const leader = r.str(f);
  const memberId = r.str(f);
  const members = r.array(f, (a) => {
    const m: JoinGroupMember = {
      memberId: a.str(f),
      groupInstanceId: version >= 5 ? a.nullableStr(f) : null,
      metadata: Buffer.from(a.byteArray(f)),
    };
    a.tags(f);
    return m;
  });
  r.tags(f);
  return { throttleTimeMs, errorCode, generationId, protocolName, leader, memberId, members };
}
