import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ApiVersionsApi,
  type ApiVersionsRequest,
  type ApiVersionsResponse,
  decodeApiVersionsRequest,
  decodeApiVersionsResponse,
  encodeApiVersionsRequest,
  encodeApiVersionsResponse,
  encodeApiVersionsUnsupported,
} from '../../src/protocol/apis/api-versions.js';
import { MetadataApi } from '../../src/protocol/apis/metadata.js';
import { decodeRequestHeader } from '../../src/protocol/header.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';
import { codecSuite, decodeAll, encode, hex, int16, int32, kafkajs, list, str } from './group-api-harness.js';

const request = fc.record({ clientSoftwareName: str, clientSoftwareVersion: str });
const response = fc.record({
  errorCode: int16,
  apiKeys: list(fc.record({ apiKey: int16, minVersion: int16, maxVersion: int16 })),
  throttleTimeMs: int32,
});

function projectRequest(req: ApiVersionsRequest, v: number): ApiVersionsRequest {
  return v >= 3 ? req : { clientSoftwareName: '', clientSoftwareVersion: '' };
}

function projectResponse(res: ApiVersionsResponse, v: number): ApiVersionsResponse {
  return { ...res, throttleTimeMs: v >= 1 ? res.throttleTimeMs : 0 };
}

describe('ApiVersions', () => {
  codecSuite(
    {
      spec: ApiVersionsApi,
      decodeRequest: decodeApiVersionsRequest,
      encodeRequest: encodeApiVersionsRequest,
      decodeResponse: decodeApiVersionsResponse,
      encodeResponse: encodeApiVersionsResponse,
    },
    { arbitrary: request, project: projectRequest },
    { arbitrary: response, project: projectResponse },
  );

  it('advertises 0-3, flexible from 3', () => {
    expect(ApiVersionsApi).toEqual({
      key: 18,
      name: 'ApiVersions',
      minVersion: 0,
      maxVersion: 3,
      flexibleFrom: 3,
    });
  });

  it('decodes the v3 request librdkafka 2.0.2 sends (header v2, compact strings)', () => {
    const frame = hex(`
      0012 0003 00000001            # api key 18, version 3, correlation id 1
      0007 72646b61666b61           # client id "rdkafka" (classic string even in header v2)
      00                            # header tagged fields
      0b 6c696272646b61666b61       # client_software_name "librdkafka" (compact: length + 1)
      06 322e302e32                 # client_software_version "2.0.2"
      00                            # tagged fields
    `);
    const r = new Reader(frame);
    expect(decodeRequestHeader(r, true)).toEqual({
      apiKey: 18,
      apiVersion: 3,
      correlationId: 1,
      clientId: 'rdkafka',
    });
    expect(decodeApiVersionsRequest(r, 3)).toEqual({
      clientSoftwareName: 'librdkafka',
      clientSoftwareVersion: '2.0.2',
    });
    expect(r.remaining).toBe(0);
    expect(
      encode(encodeApiVersionsRequest, 3, {
        clientSoftwareName: 'librdkafka',
        clientSoftwareVersion: '2.0.2',
      }),
    ).toEqual(frame.subarray(frame.length - 18));
  });

  it('requests v0-2 have an empty body', () => {
    for (const v of [0, 1, 2]) {
      expect(
        encode(encodeApiVersionsRequest, v, { clientSoftwareName: 'x', clientSoftwareVersion: 'y' }),
      ).toHaveLength(0);
    }
  });

  it('encodes a v3 response byte for byte', () => {
    const body = encode(encodeApiVersionsResponse, 3, {
      errorCode: 0,
      apiKeys: [
        { apiKey: 0, minVersion: 3, maxVersion: 7 },
        { apiKey: 18, minVersion: 0, maxVersion: 3 },
      ],
      throttleTimeMs: 0,
    });
    expect(body).toEqual(
      hex(`
        0000                        # error_code
        03                          # api_keys: compact array of 2
        0000 0003 0007 00           # Produce 3-7, tagged fields
        0012 0000 0003 00           # ApiVersions 0-3, tagged fields
        00000000                    # throttle_time_ms
        00                          # tagged fields (no SupportedFeatures etc.)
      `),
    );
  });

  it('answers an unsupported version with the v0 body, error 35 and the ranges', () => {
    const w = new Writer();
    encodeApiVersionsUnsupported(w, [MetadataApi, ApiVersionsApi]);
    expect(w.toBuffer()).toEqual(
      hex(`
        0023                        # UNSUPPORTED_VERSION
        00000002                    # classic array of 2, sorted by key
        0003 0000 0009              # Metadata 0-9
        0012 0000 0003              # ApiVersions 0-3
      `),
    );
    expect(decodeAll(decodeApiVersionsResponse, w.toBuffer(), 0).errorCode).toBe(35);
  });

  it.each([0, 1, 2])('kafkajs reads our v%i response', async (v) => {
    const res: ApiVersionsResponse = {
      errorCode: 0,
      apiKeys: [
        { apiKey: 0, minVersion: 3, maxVersion: 7 },
        { apiKey: 1, minVersion: 4, maxVersion: 12 },
      ],
      throttleTimeMs: 9,
    };
    const decoded = await kafkajs('apiVersions', v).decodeResponse<Record<string, unknown>>(
      encode(encodeApiVersionsResponse, v, res),
    );
    expect(decoded.errorCode).toBe(0);
    expect(decoded.apiVersions).toEqual(res.apiKeys);
    if (v >= 1) expect(decoded.clientSideThrottleTime ?? decoded.throttleTime).toBe(9);
  });

  it.each([0, 1, 2])('decodes the v%i request kafkajs sends', async (v) => {
    const body = await kafkajs('apiVersions', v).encodeRequest({});
    expect(decodeAll(decodeApiVersionsRequest, body, v)).toEqual({
      clientSoftwareName: '',
      clientSoftwareVersion: '',
    });
  });
});
