/**
 * ApiVersions (key 18), versions 0-3; flexible from v3.
 *
 *   ApiVersionsRequest
 *     client_software_name     compact string        v3+
 *     client_software_version  compact string        v3+
 *     _tagged_fields                                 v3+
 *
 *   ApiVersionsResponse
 *     error_code               int16                 v0+
 *     api_keys                 [ApiVersion]          v0+
 *       api_key                int16                 v0+
 *       min_version            int16                 v0+
 *       max_version            int16                 v0+
 *       _tagged_fields                               v3+
 *     throttle_time_ms         int32                 v1+
 *     _tagged_fields                                 v3+  (SupportedFeatures tag 0,
 *                                                          FinalizedFeaturesEpoch tag 1,
 *                                                          FinalizedFeatures tag 2,
 *                                                          ZkMigrationReady tag 3: never written)
 *
 * The response header is always v0 (no tagged fields), even for v3, so a client can read it before
 * it knows what the broker speaks. A request at a version the broker does not speak is answered
 * with the v0 body, UNSUPPORTED_VERSION and the supported ranges (KIP-511), so the client can
 * retry at a version both sides know: see encodeApiVersionsUnsupported.
 */

import { ErrorCode } from '../errors.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';
import type { ApiSpec } from './api.js';

export const ApiVersionsApi: ApiSpec = {
  key: 18,
  name: 'ApiVersions',
  minVersion: 0,
  maxVersion: 3,
  flexibleFrom: 3,
};

export interface ApiVersionsRequest {
  /** v3+; '' in earlier versions. */
  clientSoftwareName: string;
  /** v3+; '' in earlier versions. */
  clientSoftwareVersion: string;
}

export interface ApiVersionsApiKey {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

export interface ApiVersionsResponse {
  errorCode: number;
  apiKeys: ApiVersionsApiKey[];
  /** v1+; 0 in v0. */
  throttleTimeMs: number;
}

const flex = (version: number) => version >= ApiVersionsApi.flexibleFrom;

export function decodeApiVersionsRequest(r: Reader, version: number): ApiVersionsRequest {
  if (version < 3) return { clientSoftwareName: '', clientSoftwareVersion: '' };
  const clientSoftwareName = r.compactString();
  const clientSoftwareVersion = r.compactString();
  r.taggedFields();
  return { clientSoftwareName, clientSoftwareVersion };
}

export function encodeApiVersionsRequest(w: Writer, version: number, req: ApiVersionsRequest): void {
  if (version < 3) return;
  w.compactString(req.clientSoftwareName).compactString(req.clientSoftwareVersion).tags(true);
}

export function encodeApiVersionsResponse(w: Writer, version: number, res: ApiVersionsResponse): void {
  const flexible = flex(version);
  w.int16(res.errorCode);
  w.array(res.apiKeys, flexible, (w, k) => {
    w.int16(k.apiKey).int16(k.minVersion).int16(k.maxVersion).tags(flexible);
  });
  if (version >= 1) w.int32(res.throttleTimeMs);
  w.tags(flexible);
}

export function decodeApiVersionsResponse(r: Reader, version: number): ApiVersionsResponse {
  const flexible = flex(version);
  const errorCode = r.int16();
  const apiKeys = r.array(flexible, (r) => {
    const k = { apiKey: r.int16(), minVersion: r.int16(), maxVersion: r.int16() };
    r.tags(flexible);
    return k;
  });
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  r.tags(flexible);
  return { errorCode, apiKeys, throttleTimeMs };
}

/** The api_keys entries for a list of implemented APIs, sorted by key. */
export function apiVersionsFromSpecs(specs: readonly ApiSpec[]): ApiVersionsApiKey[] {
  return specs
    .map((s) => ({ apiKey: s.key, minVersion: s.minVersion, maxVersion: s.maxVersion }))
    .sort((a, b) => a.apiKey - b.apiKey);
}

/**
 * The body answering an ApiVersions request at a version we do not speak: v0 layout, error 35
 * (UNSUPPORTED_VERSION) and the given ranges. Pass at least ApiVersionsApi so the client can pick
 * a version to retry with.
 */
export function encodeApiVersionsUnsupported(w: Writer, specs: readonly ApiSpec[]): void {
  encodeApiVersionsResponse(w, 0, {
    errorCode: ErrorCode.UNSUPPORTED_VERSION,
    apiKeys: apiVersionsFromSpecs(specs),
    throttleTimeMs: 0,
  });
}
