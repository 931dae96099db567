/**
 * DescribeGroups (key 15), versions 0-5, flexible from 5.
 *
 * Request:
 *   groups                         [string]
 *   include_authorized_operations  bool   v3+
 * Response:
 *   throttle_time_ms     int32  v1+
 *   groups               [DescribedGroup]
 *     error_code int16, group_id string, group_state string, protocol_type string,
 *     protocol_data string (the chosen protocol, e.g. "range"),
 *     members [Member],
 *     authorized_operations int32 v3+ (absent: -2^31 = not requested)
 *   Member: member_id string, group_instance_id nullable string v4+, client_id string,
 *           client_host string, member_metadata bytes, member_assignment bytes
 */
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';
import type { ApiSpec } from './api.js';

export const DescribeGroupsApi: ApiSpec = {
  key: 15,
  name: 'DescribeGroups',
  minVersion: 0,
  maxVersion: 5,
  flexibleFrom: 5,
};

/** authorized_operations when they were not asked for (or the version has none). */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

export interface DescribeGroupsRequest {
  groups: string[];
  includeAuthorizedOperations: boolean;
}

export interface DescribedGroupMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  memberMetadata: Buffer;
  memberAssignment: Buffer;
}

export interface DescribedGroup {
  errorCode: number;
  groupId: string;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: DescribedGroupMember[];
  authorizedOperations: number;
}

export interface DescribeGroupsResponse {
  throttleTimeMs: number;
  groups: DescribedGroup[];
}

const flex = (version: number) => version >= DescribeGroupsApi.flexibleFrom;

export function decodeDescribeGroupsRequest(r: Reader, version: number): DescribeGroupsRequest {
  const f = flex(version);
  const groups = r.array(f, (a) => a.str(f));
  const includeAuthorizedOperations = version >= 3 ? r.boolean() : false;
  r.tags(f);
  return { groups, includeAuthorizedOperations };
}

export function encodeDescribeGroupsRequest(w: Writer, version: number, req: DescribeGroupsRequest): void {
  const f = flex(version);
  w.array(req.groups, f, (a, g) => a.str(g, f));
  if (version >= 3) w.boolean(req.includeAuthorizedOperations);
  w.tags(f);
}

export function encodeDescribeGroupsResponse(w: Writer, version: number, res: DescribeGroupsResponse): void {
  const f = flex(version);
  if (version >= 1) w.int32(res.throttleTimeMs);
  w.array(res.groups, f, (g, group) => {
    g.int16(group.errorCode).str(group.groupId, f).str(group.groupState, f);
    g.str(group.protocolType, f).str(group.protocolData, f);
    g.array(group.members, f, (m, member) => {
      m.str(member.memberId, f);
      if (version >= 4) m.nullableStr(member.groupInstanceId, f);
      m.str(member.clientId, f).str(member.clientHost, f);
      m.byteArray(member.memberMetadata, f).byteArray(member.memberAssignment, f).tags(f);
    });
    if (version >= 3) g.int32(group.authorizedOperations);
    g.tags(f);
  });
  w.tags(f);
}

export function decodeDescribeGroupsResponse(r: Reader, version: number): DescribeGroupsResponse {
  const f = flex(version);
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  const groups = r.array(f, (g) => {
    const errorCode = g.int16();
    const groupId = g.str(f);
    const groupState = g.str(f);
    const protocolType = g.str(f);
    const protocolData = g.str(f);
    const members = g.array(f, (m) => {
      const member: DescribedGroupMember = {
        memberId: m.str(f),
        groupInstanceId: version >= 4 ? m.nullableStr(f) : null,
        clientId: m.str(f),
        clientHost: m.str(f),
        memberMetadata: Buffer.from(m.byteArray(f)),
        memberAssignment: Buffer.from(m.byteArray(f)),
      };
      m.tags(f);
      return member;
    });
    const authorizedOperations = version >= 3 ? g.int32() : AUTHORIZED_OPERATIONS_OMITTED;
    g.tags(f);
    return { errorCode, groupId, groupState, protocolType, protocolData, members, authorizedOperations };
  });
  r.tags(f);
  return { throttleTimeMs, groups };
}
