import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeOffsetCommitRequest,
  decodeOffsetCommitResponse,
  encodeOffsetCommitRequest,
  encodeOffsetCommitResponse,
  OffsetCommitApi,
  type OffsetCommitRequest,
  type OffsetCommitResponse,
} from '../../src/protocol/apis/offset-commit.js';
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

const request = fc.record({
  groupId: str,
  generationId: int32,
  memberId: str,
  groupInstanceId: nullableStr,
  retentionTimeMs: int64,
  topics: list(
    fc.record({
      name: str,
      partitions: list(
        fc.record({
          partitionIndex: int32,
          committedOffset: int64,
          committedLeaderEpoch: int32,
          commitTimestamp: int64,
          committedMetadata: nullableStr,
        }),
      ),
    }),
  ),
});

const response = fc.record({
  throttleTimeMs: int32,
  topics: list(
    fc.record({ name: str, partitions: list(fc.record({ partitionIndex: int32, errorCode: int16 })) }),
  ),
});

const projectRequest = (req: OffsetCommitRequest, v: number): OffsetCommitRequest => ({
  groupId: req.groupId,
  generationId: v >= 1 ? req.generationId : -1,
  memberId: v >= 1 ? req.memberId : '',
  groupInstanceId: v >= 7 ? req.groupInstanceId : null,
  retentionTimeMs: v >= 2 && v <= 4 ? req.retentionTimeMs : -1,
  topics: req.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => ({
      ...p,
      committedLeaderEpoch: v >= 6 ? p.committedLeaderEpoch : -1,
      commitTimestamp: v === 1 ? p.commitTimestamp : -1,
    })),
  })),
});

const projectResponse = (res: OffsetCommitResponse, v: number): OffsetCommitResponse => ({
  ...res,
  throttleTimeMs: v >= 3 ? res.throttleTimeMs : 0,
});

const commit = (over: Partial<OffsetCommitRequest>): OffsetCommitRequest => ({
  groupId: 'g',
  generationId: -1,
  memberId: '',
  groupInstanceId: null,
  retentionTimeMs: -1,
  topics: [],
  ...over,
});

describe('OffsetCommit', () => {
  codecSuite(
    {
      spec: OffsetCommitApi,
      decodeRequest: decodeOffsetCommitRequest,
      encodeRequest: encodeOffsetCommitRequest,
      decodeResponse: decodeOffsetCommitResponse,
      encodeResponse: encodeOffsetCommitResponse,
    },
    { arbitrary: request, project: projectRequest },
    { arbitrary: response, project: projectResponse },
  );

  describe('golden bytes', () => {
    it('v1 partitions carry a commit timestamp', () => {
      const bytes = hex(`
        0001 67  00000003  0002 6d31                 # "g", generation 3, member "m1"
        00000001  0001 74  00000001                  # topics: "t", 1 partition
          00000000  000000000000002a                 #   partition 0, offset 42
          0000018000000000                           #   commit_timestamp 1649267441664
          ffff                                       #   metadata null
      `);
      const req = commit({
        generationId: 3,
        memberId: 'm1',
        topics: [
          {
            name: 't',
            partitions: [
              {
                partitionIndex: 0,
                committedOffset: 42,
                committedLeaderEpoch: -1,
                commitTimestamp: 0x18000000000,
                committedMetadata: null,
              },
            ],
          },
        ],
      });
      expect(encode(encodeOffsetCommitRequest, 1, req)).toEqual(bytes);
      expect(decodeAll(decodeOffsetCommitRequest, bytes, 1)).toEqual(req);
    });

    it('v8 request is compact with leader epoch and group_instance_id', () => {
      const bytes = hex(`
        02 67  00000003  03 6d31  00                 # "g", generation 3, "m1", instance null
        02  02 74  02                                # topics: 1 "t", partitions: 1
          00000001  0000000000000064  00000005       #   partition 1, offset 100, leader epoch 5
          03 6d64  00                                #   metadata "md", tags
          00                                         # topic tags
        00                                           # tags
      `);
      const req = commit({
        generationId: 3,
        memberId: 'm1',
        topics: [
          {
            name: 't',
            partitions: [
              {
                partitionIndex: 1,
                committedOffset: 100,
                committedLeaderEpoch: 5,
                commitTimestamp: -1,
                committedMetadata: 'md',
              },
            ],
          },
        ],
      });
      expect(encode(encodeOffsetCommitRequest, 8, req)).toEqual(bytes);
      expect(decodeAll(decodeOffsetCommitRequest, bytes, 8)).toEqual(req);
    });
  });

  describe('kafkajs interop', () => {
    const topics = [
      {
        topic: 'orders',
        partitions: [
          { partition: 0, offset: '1234567890123', timestamp: 1700000000000, metadata: 'note' },
          { partition: 3, offset: '0' },
        ],
      },
    ];

    it.each([0, 1, 2, 3, 4, 5])('v%i request decodes', async (v) => {
      const body = await kafkajs('offsetCommit', v).encodeRequest({
        groupId: 'billing',
        groupGenerationId: 8,
        memberId: 'billing-1',
        retentionTime: 86400000,
        topics,
      });
      const req = decodeAll(decodeOffsetCommitRequest, body, v);
      expect(req).toMatchObject({
        groupId: 'billing',
        generationId: v >= 1 ? 8 : -1,
        memberId: v >= 1 ? 'billing-1' : '',
        retentionTimeMs: v >= 2 && v <= 4 ? 86400000 : -1,
      });
      const [p0, p3] = req.topics[0].partitions;
      expect(req.topics[0].name).toBe('orders');
      expect(p0).toEqual({
        partitionIndex: 0,
        committedOffset: 1234567890123,
        committedLeaderEpoch: -1,
        commitTimestamp: v === 1 ? 1700000000000 : -1,
        committedMetadata: 'note',
      });
      expect(p3).toMatchObject({ partitionIndex: 3, committedOffset: 0, committedMetadata: null });
    });

    it.each([0, 1, 2, 3, 4, 5])('v%i response is read by kafkajs', async (v) => {
      const res = {
        throttleTimeMs: 5,
        topics: [
          {
            name: 'orders',
            partitions: [
              { partitionIndex: 0, errorCode: 0 },
              { partitionIndex: 3, errorCode: 22 },
            ],
          },
        ],
      };
      const decoded = await kafkajs('offsetCommit', v).decodeResponse<Record<string, unknown>>(
        encode(encodeOffsetCommitResponse, v, res),
      );
      expect(decoded.responses).toEqual([
        {
          topic: 'orders',
          partitions: [
            { partition: 0, errorCode: 0 },
            { partition: 3, errorCode: 22 },
          ],
        },
      ]);
      if (v >= 3) expect(kafkajsThrottle(decoded)).toBe(5);
    });
  });
});
