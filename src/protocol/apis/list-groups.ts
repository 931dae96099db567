/**
 * ListGroups (key 16), versions 0-4, flexible from 3.
 *
 * Request:
 *   states_filter      [string]  v4+  (empty = every state)
 * Response:
 *   throttle_time_ms   int32     v1+
 *   error_code         int16
 *   groups             [group_id string, protocol_type string, group_state string v4+]
 */
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';
import type { ApiSpec } from './api.js';

export const ListGroupsApi: ApiSpec = {
  key: 16,
  name: 'ListGroups',
  minVersion: 0,
  maxVersion: 4,
  flexibleFrom: 3,
};

export interface ListGroupsRequest {
  statesFilter: string[];
}

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  /** v4+; '' before. */
  groupState: string;
}

export interface ListGroupsResponse {
  throttleTimeMs: number;
  errorCode: number;
  groups: ListedGroup[];
}

const flex = (version: number) => version >= ListGroupsApi.flexibleFrom;

export function decodeListGroupsRequest(r: Reader, version: number): ListGroupsRequest {
  const f = flex(version);
  const statesFilter = version >= 4 ? r.array(f, (a) => a.str(f)) : [];
  r.tags(f);
  return { statesFilter };
}

export function encodeListGroupsRequest(w: Writer, version: number, req: ListGroupsRequest): void {
  const f = flex(version);
  if (version >= 4) w.array(req.statesFilter, f, (a, s) => a.str(s, f));
  w.tags(f);
}

export function encodeListGroupsResponse(w: Writer, version: number, res: ListGroupsResponse): void {
  const f = flex(version);
  if (version >= 1) w.int32(res.throttleTimeMs);
  w.int16(res.errorCode);
  w.array(res.groups, f, (a, g) => {
    a.str(g.groupId, f).str(g.protocolType, f);
    if (version >= 4) a.str(g.groupState, f);
    a.tags(f);
  });
  w.tags(f);
}

export function decodeListGroupsResponse(r: Reader, version: number): ListGroupsResponse {
  const f = flex(version);
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  const errorCode = r.int16();
  const groups = r.array(f, (a) => {
    const g: ListedGroup = {
      groupId: a.str(f),
      protocolType: a.str(f),
      groupState: version >= 4 ? a.str(f) : '',
    };
    a.tags(f);
    return g;
  });
  r.tags(f);
  return { throttleTimeMs, errorCode, groups };
}
