/**
 * ApiVersions: the (api, min, max) ranges of every registered handler. librdkafka enables
 * features by range overlap, so ranges start below what clients send where the brief says so.
 */

import type { ApiSpec } from '../../protocol/apis/api.js';
import {
  ApiVersionsApi,
  type ApiVersionsRequest,
  type ApiVersionsResponse,
  decodeApiVersionsRequest,
  encodeApiVersionsResponse,
} from '../../protocol/apis/api-versions.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { ApiHandler } from '../request-router.js';

export function apiVersionsResponse(
  specs: ApiSpec[],
  errorCode: number = ErrorCode.NONE,
): ApiVersionsResponse {
  return {
    errorCode,
    apiKeys: specs.map((s) => ({ apiKey: s.key, minVersion: s.minVersion, maxVersion: s.maxVersion })),
    throttleTimeMs: 0,
  };
}

export function apiVersionsHandler(
  specs: () => ApiSpec[],
): ApiHandler<ApiVersionsRequest, ApiVersionsResponse> {
  return {
    spec: ApiVersionsApi,
    decode: decodeApiVersionsRequest,
    encode: encodeApiVersionsResponse,
    handle: () => apiVersionsResponse(specs()),
  };
}
