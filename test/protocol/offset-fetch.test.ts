import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeOffsetFetchRequest,
  decodeOffsetFetchResponse,
  encodeOffsetFetchRequest,
  encodeOffsetFetchResponse,
  OffsetFetchApi,
  type OffsetFetchPartitionResult,
  type OffsetFetchRequest,
  type OffsetFetchResponse,
  type OffsetFetchTopicResult,
} from '../../src/protocol/apis/offset-fetch.js';
import { Writer } from '../../src/protocol/writer.js';
import {
  codecSuite,
  decodeAll,
  encode,
  hex,
  int16,
  int32,
  int64,
  kafkajs,
  kafkajsThrottle,
  list,
  nullableStr,
  str,
} from './group-api-harness.js';

const topic = fc.record({ name: str, partitionIndexes: list(int32) });
const topics = fc.option(list(topic), { nil: null });

const request = fc.record({
  groupId: str,
  topics,
  groups: list(fc.record({ groupId: str, topics })),
  requireStable: fc.boolean(),
});

const partitionResult = fc.record({
  partitionIndex: int32,
  committedOffset: int64,
  committedLeaderEpoch: int32,
  metadata: nullableStr,
  errorCode: int16,
});
const topicResults = list(fc.record({ name: str, partitions: list(partitionResult) }));

const response = fc.record({
  throttleTimeMs: int32,
  topics: topicResults,
  errorCode: int16,
  groups: list(fc.record({ groupId: str, topics: topicResults, errorCode: int16 })),
});

const projectRequest = (req: OffsetFetchRequest, v: number): OffsetFetchRequest => ({
  groupId: v <= 7 ? req.groupId : '',
  topics: v <= 7 ? req.topics : [],
  groups: v >= 8 ? req.groups : [],
  requireStable: v >= 7 ? req.requireStable : false,
});

const withoutEpoch = (topics: OffsetFetchTopicResult[]): OffsetFetchTopicResult[] =>
  topics.map((t) => ({ ...t, partitions: t.partitions.map((p) => ({ ...p, committedLeaderEpoch: -1 })) }));

const projectResponse = (res: OffsetFetchResponse, v: number): OffsetFetchResponse => ({
  throttleTimeMs: v >= 3 ? res.throttleTimeMs : 0,
  topics: v >= 8 ? [] : v >= 5 ? res.topics : withoutEpoch(res.topics),
  errorCode: v >= 2 && v <= 7 ? res.errorCode : 0,
  groups: v >= 8 ? res.groups : [],
});

describe('OffsetFetch', () => {
  codecSuite(
    {
      spec: OffsetFetchApi,
      decodeRequest: decodeOffsetFetchRequest,
      encodeRequest: encodeOffsetFetchRequest,
      decodeResponse: decodeOffsetFetchResponse,
      encodeResponse: encodeOffsetFetchResponse,
    },
    // v0-1 have no way to say "all topics".
    { arbitrary: request, project: projectRequest, encodable: (req, v) => v >= 2 || req.topics !== null },
    { arbitrary: response, project: projectResponse },
  );

  it('refuses to encode all-topics (null) in v0-1', () => {
    const req = { groupId: 'g', topics: null, groups: [], requireStable: false };
    expect(() => encodeOffsetFetchRequest(new Writer(), 1, req)).toThrow(/v0-1/);
  });

  describe('golden bytes', () => {
    it('v8 request batches groups, null topics = all', () => {
      const bytes = hex(`
        03                        # groups: 2
          02 67                   #   group_id "g"
          02                      #   topics: 1
            02 74                 #     name "t"
            03 00000000 00000001  #     partition_indexes [0, 1]
            00                    #     tags
          00                      #   tags
          02 68                   #   group_id "h"
          00                      #   topics: null (all)
          00                      #   tags
        01                        # require_stable
        00                        # tags
      `);
      const req: OffsetFetchRequest = {
        groupId: '',
        topics: [],
        groups: [
          { groupId: 'g', topics: [{ name: 't', partitionIndexes: [0, 1] }] },
          { groupId: 'h', topics: null },
        ],
        requireStable: true,
      };
      expect(encode(encodeOffsetFetchRequest, 8, req)).toEqual(bytes);
      expect(decodeAll(decodeOffsetFetchRequest, bytes, 8)).toEqual(req);
    });

    it('v2 request with null topics', () => {
      const bytes = hex('0001 67 ffffffff');
      expect(decodeAll(decodeOffsetFetchRequest, bytes, 2)).toEqual({
        groupId: 'g',
        topics: null,
        groups: [],
        requireStable: false,
      });
    });

    it('v5 response has the leader epoch between offset and metadata', () => {
      const bytes = hex(`
        00000000                                  # throttle
        00000001  0001 74  00000001               # topics: "t", 1 partition
          00000002  ffffffffffffffff  00000004    #   partition 2, offset -1 (none), leader epoch 4
          0000  0000                              #   metadata "", error 0
        0010                                      # error_code NOT_COORDINATOR
      `);
      const p: OffsetFetchPartitionResult = {
        partitionIndex: 2,
        committedOffset: -1,
        committedLeaderEpoch: 4,
        metadata: '',
        errorCode: 0,
      };
      const res = { throttleTimeMs: 0, topics: [{ name: 't', partitions: [p] }], errorCode: 16, groups: [] };
      expect(encode(encodeOffsetFetchResponse, 5, res)).toEqual(bytes);
      expect(decodeAll(decodeOffsetFetchResponse, bytes, 5)).toEqual(res);
    });
  });

  describe('kafkajs interop', () => {
    it.each([1, 2, 3, 4])('v%i request decodes', async (v) => {
      const body = await kafkajs('offsetFetch', v).encodeRequest({
        groupId: 'billing',
        topics: [
          { topic: 'orders', partitions: [{ partition: 0 }, { partition: 1 }] },
          { topic: 'payments', partitions: [] },
        ],
      });
      expect(decodeAll(decodeOffsetFetchRequest, body, v)).toEqual({
        groupId: 'billing',
        topics: [
          { name: 'orders', partitionIndexes: [0, 1] },
          { name: 'payments', partitionIndexes: [] },
        ],
        groups: [],
        requireStable: false,
      });
    });

    it.each([1, 2, 3, 4])('v%i response is read by kafkajs', async (v) => {
      const res: OffsetFetchResponse = {
        throttleTimeMs: 8,
        topics: [
          {
            name: 'orders',
            partitions: [
              {
                partitionIndex: 0,
                committedOffset: 9007199254740991,
                committedLeaderEpoch: -1,
                metadata: 'x',
                errorCode: 0,
              },
              {
                partitionIndex: 1,
                committedOffset: -1,
                committedLeaderEpoch: -1,
                metadata: null,
                errorCode: 0,
              },
            ],
          },
        ],
        errorCode: 0,
        groups: [],
      };
      const decoded = await kafkajs('offsetFetch', v).decodeResponse<Record<string, unknown>>(
        encode(encodeOffsetFetchResponse, v, res),
      );
      expect(decoded.responses).toEqual([
        {
          topic: 'orders',
          partitions: [
            { partition: 0, offset: '9007199254740991', metadata: 'x', errorCode: 0 },
            { partition: 1, offset: '-1', metadata: null, errorCode: 0 },
          ],
        },
      ]);
      if (v >= 2) expect(decoded.errorCode).toBe(0);
      if (v >= 3) expect(kafkajsThrottle(decoded)).toBe(8);
    });
  });
});
