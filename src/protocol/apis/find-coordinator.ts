/**
 * FindCoordinator (key 10), versions 0-4, flexible from 3.
 *
 * Request:
 *   key                 string   v0-3
 *   key_type            int8     v1+   (0 = group, 1 = transaction)
 *   coordinator_keys    [string] v4+   (batched lookup, KIP-699)
 * Response:
 *   throttle_time_ms    int32            v1+
 *   error_code          int16            v0-3
 *   error_message       nullable string  v1-3
 *   node_id             int32            v0-3
 *   host                string           v0-3
 *   port                int32            v0-3
 *   coordinators        [Coordinator]    v4+
 *     key string, node_id int32, host string, port int32, error_code int16,
 *     error_message nullable string
 *
 * Fields outside a version decode to their defaults: '' / 0 / null / [] (key_type 0).
 */
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';
import type { ApiSpec } from './api.js';

export const FindCoordinatorApi: ApiSpec = {
  key: 10,
  name: 'FindCoordinator',
  minVersion: 0,
  maxVersion: 4,
  flexibleFrom: 3,
};

export const CoordinatorKeyType = { group: 0, transaction: 1 } as const;

export interface FindCoordinatorRequest {
  /** v0-3: the one key looked up. */
  key: string;
  keyType: number;
  /** v4+: the keys looked up in one request. */
  coordinatorKeys: string[];
}

export interface Coordinator {
  key: string;
  nodeId: number;
  host: string;
  port: number;
  errorCode: number;
  errorMessage: string | null;
}

export interface FindCoordinatorResponse {
  throttleTimeMs: number;
  /** v0-3 single answer. */
  errorCode: number;
  errorMessage: string | null;
  nodeId: number;
  host: string;
  port: number;
  /** v4+ answers, one per requested key. */
  coordinators: Coordinator[];
}

const flex = (version: number) => version >= FindCoordinatorApi.flexibleFrom;

export function decodeFindCoordinatorRequest(r: Reader, version: number): FindCoordinatorRequest {
  const f = flex(version);
  const key = version <= 3 ? r.str(f) : '';
  const keyType = version >= 1 ? r.int8() : 0;
  const coordinatorKeys = version >= 4 ? r.array(f, (a) => a.str(f)) : [];
  r.tags(f);
  return { key, keyType, coordinatorKeys };
}

export function encodeFindCoordinatorRequest(w: Writer, version: number, req: FindCoordinatorRequest): void {
  const f = flex(version);
  if (version <= 3) w.str(req.key, f);
  if (version >= 1) w.int8(req.keyType);
  if (version >= 4) w.array(req.coordinatorKeys, f, (a, k) => a.str(k, f));
  w.tags(f);
}

export function encodeFindCoordinatorResponse(
  w: Writer,
  version: number,
  res: FindCoordinatorResponse,
): void {
  const f = flex(version);
  if (version >= 1) w.int32(res.throttleTimeMs);
  if (version <= 3) {
    w.int16(res.errorCode);
    if (version >= 1) w.nullableStr(res.errorMessage, f);
    w.int32(res.nodeId).str(res.host, f).int32(res.port);
  } else {
    w.array(res.coordinators, f, (a, c) => {
      a.str(c.key, f).int32(c.nodeId).str(c.host, f).int32(c.port).int16(c.errorCode);
      a.nullableStr(c.errorMessage, f).tags(f);
    });
  }
  w.tags(f);
}

export function decodeFindCoordinatorResponse(r: Reader, version: number): FindCoordinatorResponse {
  const f = flex(version);
  const res: FindCoordinatorResponse = {
    throttleTimeMs: version >= 1 ? r.int32() : 0,
    errorCode: 0,
    errorMessage: null,
    nodeId: 0,
    host: '',
    port: 0,
    coordinators: [],
  };
  if (version <= 3) {
    res.errorCode = r.int16();
    if (version >= 1) res.errorMessage = r.nullableStr(f);
    res.nodeId = r.int32();
    res.host = r.str(f);
    res.port = r.int32();
  } else {
    res.coordinators = r.array(f, (a) => {
      const c: Coordinator = {
        key: a.str(f),
        nodeId: a.int32(),
        host: a.str(f),
        port: a.int32(),
        errorCode: a.int16(),
        errorMessage: a.nullableStr(f),
      };
      a.tags(f);
      return c;
    });
  }
  r.tags(f);
  return res;
}
