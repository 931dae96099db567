import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CreateTopicsApi,
  type CreateTopicsRequest,
  type CreateTopicsResponse,
  decodeCreateTopicsRequest,
  decodeCreateTopicsResponse,
  encodeCreateTopicsRequest,
  encodeCreateTopicsResponse,
} from '../../src/protocol/apis/create-topics.js';
import {
  codecSuite,
  decodeAll,
  encode,
  hex,
  int8,
  int16,
  int32,
  kafkajs,
  list,
  nullableStr,
  str,
} from './group-api-harness.js';

const uuid = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((a) => Buffer.from(a));
const isZero = (b: Buffer) => b.every((x) => x === 0);

const request = fc.record({
  topics: list(
    fc.record({
      name: str,
      numPartitions: int32,
      replicationFactor: int16,
      assignments: list(fc.record({ partitionIndex: int32, brokerIds: list(int32) })),
      configs: list(fc.record({ name: str, value: nullableStr })),
    }),
  ),
  timeoutMs: int32,
  validateOnly: fc.boolean(),
});

const response = fc.record({
  throttleTimeMs: int32,
  topics: list(
    fc.record({
      name: str,
      topicId: fc.option(uuid, { nil: null }),
      errorCode: int16,
      errorMessage: nullableStr,
      topicConfigErrorCode: int16,
      numPartitions: int32,
      replicationFactor: int16,
      configs: fc.option(
        list(
          fc.record({
            name: str,
            value: nullableStr,
            readOnly: fc.boolean(),
            configSource: int8,
            isSensitive: fc.boolean(),
          }),
        ),
        { nil: null },
      ),
    }),
  ),
});

function projectRequest(req: CreateTopicsRequest, v: number): CreateTopicsRequest {
  return { ...req, validateOnly: v >= 1 ? req.validateOnly : false };
}

function projectResponse(res: CreateTopicsResponse, v: number): CreateTopicsResponse {
  return {
    throttleTimeMs: v >= 2 ? res.throttleTimeMs : 0,
    topics: res.topics.map((t) => ({
      name: t.name,
      topicId: v >= 7 && t.topicId !== null && !isZero(t.topicId) ? t.topicId : null,
      errorCode: t.errorCode,
      errorMessage: v >= 1 ? t.errorMessage : null,
      topicConfigErrorCode: v >= 5 ? t.topicConfigErrorCode : 0,
      numPartitions: v >= 5 ? t.numPartitions : -1,
      replicationFactor: v >= 5 ? t.replicationFactor : -1,
      configs: v >= 5 ? t.configs : null,
    })),
  };
}

interface KafkajsCreateTopicsResponse {
  throttleTime?: number;
  clientSideThrottleTime?: number;
  topicErrors: { topic: string; errorCode: number; errorMessage?: string | null }[];
}

const ok = {
  name: 't',
  topicId: null,
  errorCode: 0,
  errorMessage: null,
  topicConfigErrorCode: 0,
  numPartitions: 3,
  replicationFactor: 1,
  configs: [],
};

describe('CreateTopics', () => {
  codecSuite(
    {
      spec: CreateTopicsApi,
      decodeRequest: decodeCreateTopicsRequest,
      encodeRequest: encodeCreateTopicsRequest,
      decodeResponse: decodeCreateTopicsResponse,
      encodeResponse: encodeCreateTopicsResponse,
    },
    { arbitrary: request, project: projectRequest },
    { arbitrary: response, project: projectResponse },
  );

  it('advertises 0-7, flexible from 5', () => {
    expect(CreateTopicsApi).toEqual({
      key: 19,
      name: 'CreateTopics',
      minVersion: 0,
      maxVersion: 7,
      flexibleFrom: 5,
    });
  });

  it('decodes a v7 request byte for byte', () => {
    const body = hex(`
      02                            # topics: compact array of 1
        02 74                       #   name "t"
        ffffffff ffff               #   num_partitions -1, replication_factor -1 (broker defaults)
        01                          #   assignments: empty
        02                          #   configs: 1
          0d 726574656e74696f6e2e6d73   # name "retention.ms" (12 bytes, compact 13)
          00                        #     value null
          00                        #     tagged fields
        00                          #   tagged fields
      00007530 01                   # timeout_ms 30000, validate_only true
      00                            # tagged fields
    `);
    expect(decodeAll(decodeCreateTopicsRequest, body, 7)).toEqual({
      topics: [
        {
          name: 't',
          numPartitions: -1,
          replicationFactor: -1,
          assignments: [],
          configs: [{ name: 'retention.ms', value: null }],
        },
      ],
      timeoutMs: 30000,
      validateOnly: true,
    });
  });

  it('encodes a v7 response byte for byte: topic id, then topic_config_error_code as tag 0', () => {
    const id = Buffer.alloc(16, 0xab);
    const body = encode(encodeCreateTopicsResponse, 7, {
      throttleTimeMs: 0,
      topics: [{ ...ok, topicId: id, topicConfigErrorCode: 29, configs: null }],
    });
    expect(body).toEqual(
      hex(`
        00000000                    # throttle_time_ms
        02                          # topics: 1
          02 74                     #   name "t"
          ${id.toString('hex')}     #   topic_id (v7+)
          0000                      #   error_code
          00                        #   error_message null
          00000003 0001             #   num_partitions, replication_factor (v5+)
          00                        #   configs null
          01 00 02 001d             #   tagged: 1 field, tag 0, size 2, value 29
        00                          # tagged fields
      `),
    );
  });

  it('writes no tag when topic_config_error_code is 0', () => {
    const body = encode(encodeCreateTopicsResponse, 5, { throttleTimeMs: 0, topics: [ok] });
    expect(body).toEqual(hex('00000000 02 02 74 0000 00 00000003 0001 01 00 00'));
  });

  it.each([0, 1, 2, 3])('decodes the v%i request kafkajs sends', async (v) => {
    const body = await kafkajs('createTopics', v).encodeRequest({
      topics: [
        {
          topic: 'orders',
          numPartitions: 6,
          replicationFactor: 1,
          replicaAssignment: [{ partition: 0, replicas: [1] }],
          configEntries: [{ name: 'cleanup.policy', value: 'delete' }],
        },
      ],
      timeout: 5000,
      validateOnly: true,
    });
    expect(decodeAll(decodeCreateTopicsRequest, body, v)).toEqual({
      topics: [
        {
          name: 'orders',
          numPartitions: 6,
          replicationFactor: 1,
          assignments: [{ partitionIndex: 0, brokerIds: [1] }],
          configs: [{ name: 'cleanup.policy', value: 'delete' }],
        },
      ],
      timeoutMs: 5000,
      validateOnly: v >= 1,
    });
  });

  it.each([0, 1, 2, 3])('kafkajs reads our v%i response', async (v) => {
    const res: CreateTopicsResponse = {
      throttleTimeMs: 8,
      topics: [ok, { ...ok, name: 'u', errorCode: 36, errorMessage: 'exists' }],
    };
    const d = await kafkajs('createTopics', v).decodeResponse<KafkajsCreateTopicsResponse>(
      encode(encodeCreateTopicsResponse, v, res),
    );
    if (v >= 2) expect(d.clientSideThrottleTime ?? d.throttleTime).toBe(8);
    expect(d.topicErrors).toEqual(
      v >= 1
        ? [
            { topic: 't', errorCode: 0, errorMessage: null },
            { topic: 'u', errorCode: 36, errorMessage: 'exists' },
          ]
        : [
            { topic: 't', errorCode: 0 },
            { topic: 'u', errorCode: 36 },
          ],
    );
  });
});
