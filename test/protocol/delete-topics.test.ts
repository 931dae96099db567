import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DeleteTopicsApi,
  type DeleteTopicsRequest,
  type DeleteTopicsResponse,
  decodeDeleteTopicsRequest,
  decodeDeleteTopicsResponse,
  encodeDeleteTopicsRequest,
  encodeDeleteTopicsResponse,
} from '../../src/protocol/apis/delete-topics.js';
import {
  codecSuite,
  decodeAll,
  encode,
  hex,
  int16,
  int32,
  kafkajs,
  list,
  nullableStr,
  str,
} from './group-api-harness.js';

const uuid = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((a) => Buffer.from(a));
const nonZero = (b: Buffer | null) => (b?.some((x) => x !== 0) ? b : null);

const request = fc.record({
  topics: list(fc.record({ name: nullableStr, topicId: fc.option(uuid, { nil: null }) })),
  topicNames: list(str),
  timeoutMs: int32,
});

const response = fc.record({
  throttleTimeMs: int32,
  responses: list(
    fc.record({
      name: nullableStr,
      topicId: fc.option(uuid, { nil: null }),
      errorCode: int16,
      errorMessage: nullableStr,
    }),
  ),
});

function projectRequest(req: DeleteTopicsRequest, v: number): DeleteTopicsRequest {
  return {
    topics: v >= 6 ? req.topics.map((t) => ({ name: t.name, topicId: nonZero(t.topicId) })) : [],
    topicNames: v >= 6 ? [] : req.topicNames,
    timeoutMs: req.timeoutMs,
  };
}

function projectResponse(res: DeleteTopicsResponse, v: number): DeleteTopicsResponse {
  return {
    throttleTimeMs: v >= 1 ? res.throttleTimeMs : 0,
    responses: res.responses.map((t) => ({
      name: t.name,
      topicId: v >= 6 ? nonZero(t.topicId) : null,
      errorCode: t.errorCode,
      errorMessage: v >= 5 ? t.errorMessage : null,
    })),
  };
}

interface KafkajsDeleteTopicsResponse {
  throttleTime?: number;
  clientSideThrottleTime?: number;
  topicErrors: { topic: string; errorCode: number }[];
}

describe('DeleteTopics', () => {
  codecSuite(
    {
      spec: DeleteTopicsApi,
      decodeRequest: decodeDeleteTopicsRequest,
      encodeRequest: encodeDeleteTopicsRequest,
      decodeResponse: decodeDeleteTopicsResponse,
      encodeResponse: encodeDeleteTopicsResponse,
    },
    { arbitrary: request, project: projectRequest },
    {
      arbitrary: response,
      project: projectResponse,
      // A null topic name only exists from v6.
      encodable: (res, v) => v >= 6 || res.responses.every((t) => t.name !== null),
    },
  );

  it('advertises 0-6, flexible from 4', () => {
    expect(DeleteTopicsApi).toEqual({
      key: 20,
      name: 'DeleteTopics',
      minVersion: 0,
      maxVersion: 6,
      flexibleFrom: 4,
    });
  });

  it('decodes a v6 request byte for byte (topics by name and id)', () => {
    const id = Buffer.alloc(16, 0x11);
    const body = hex(`
      03                            # topics: compact array of 2
        02 74 ${'00'.repeat(16)} 00 #   name "t", zero topic_id, tagged fields
        00 ${id.toString('hex')} 00 #   name null, topic_id, tagged fields
      00007530                      # timeout_ms
      00                            # tagged fields
    `);
    expect(decodeAll(decodeDeleteTopicsRequest, body, 6)).toEqual({
      topics: [
        { name: 't', topicId: null },
        { name: null, topicId: id },
      ],
      topicNames: [],
      timeoutMs: 30000,
    });
  });

  it('encodes v1 and v4 requests as topic_names, classic then compact', () => {
    const req: DeleteTopicsRequest = { topics: [], topicNames: ['a', 'bc'], timeoutMs: 1 };
    expect(encode(encodeDeleteTopicsRequest, 1, req)).toEqual(hex('00000002 0001 61 0002 6263 00000001'));
    expect(encode(encodeDeleteTopicsRequest, 4, req)).toEqual(hex('03 02 61 03 6263 00000001 00'));
  });

  it('encodes a v6 response byte for byte', () => {
    const body = encode(encodeDeleteTopicsResponse, 6, {
      throttleTimeMs: 0,
      responses: [
        { name: null, topicId: Buffer.alloc(16, 0x22), errorCode: 100, errorMessage: 'unknown id' },
      ],
    });
    expect(body).toEqual(
      hex(`
        00000000                    # throttle_time_ms
        02                          # responses: 1
          00                        #   name null (v6+)
          ${'22'.repeat(16)}        #   topic_id
          0064                      #   error_code 100 UNKNOWN_TOPIC_ID
          0b 756e6b6e6f776e206964   #   error_message "unknown id" (v5+)
          00                        #   tagged fields
        00                          # tagged fields
      `),
    );
  });

  it('refuses to encode a null name before v6', () => {
    const res: DeleteTopicsResponse = {
      throttleTimeMs: 0,
      responses: [{ name: null, topicId: null, errorCode: 0, errorMessage: null }],
    };
    expect(() => encode(encodeDeleteTopicsResponse, 5, res)).toThrow(TypeError);
  });

  it.each([0, 1])('decodes the v%i request kafkajs sends', async (v) => {
    const body = await kafkajs('deleteTopics', v).encodeRequest({ topics: ['a', 'b'], timeout: 5000 });
    expect(decodeAll(decodeDeleteTopicsRequest, body, v)).toEqual({
      topics: [],
      topicNames: ['a', 'b'],
      timeoutMs: 5000,
    });
  });

  it.each([0, 1])('kafkajs reads our v%i response', async (v) => {
    const res: DeleteTopicsResponse = {
      throttleTimeMs: 3,
      responses: [
        { name: 'a', topicId: null, errorCode: 0, errorMessage: null },
        { name: 'b', topicId: null, errorCode: 3, errorMessage: null },
      ],
    };
    const d = await kafkajs('deleteTopics', v).decodeResponse<KafkajsDeleteTopicsResponse>(
      encode(encodeDeleteTopicsResponse, v, res),
    );
    if (v >= 1) expect(d.clientSideThrottleTime ?? d.throttleTime).toBe(3);
    expect(d.topicErrors).toEqual([
      { topic: 'a', errorCode: 0 },
      { topic: 'b', errorCode: 3 },
    ]);
  });
});
