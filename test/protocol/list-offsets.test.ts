import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeListOffsetsRequest,
  decodeListOffsetsResponse,
  encodeListOffsetsRequest,
  encodeListOffsetsResponse,
  ListOffsetsApi,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
} from '../../src/protocol/apis/list-offsets.js';
import {
  codecSuite,
  decodeAll,
  encode,
  hex,
  int8,
  int16,
  int32,
  int64,
  kafkajs,
  list,
  str,
} from './group-api-harness.js';

const request = fc.record({
  replicaId: int32,
  isolationLevel: int8,
  topics: list(
    fc.record({
      name: str,
      partitions: list(fc.record({ partitionIndex: int32, currentLeaderEpoch: int32, timestamp: int64 })),
    }),
  ),
});

const response = fc.record({
  throttleTimeMs: int32,
  topics: list(
    fc.record({
      name: str,
      partitions: list(
        fc.record({
          partitionIndex: int32,
          errorCode: int16,
          timestamp: int64,
          offset: int64,
          leaderEpoch: int32,
        }),
      ),
    }),
  ),
});

function projectRequest(req: ListOffsetsRequest, v: number): ListOffsetsRequest {
  return {
    replicaId: req.replicaId,
    isolationLevel: v >= 2 ? req.isolationLevel : 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ ...p, currentLeaderEpoch: v >= 4 ? p.currentLeaderEpoch : -1 })),
    })),
  };
}

function projectResponse(res: ListOffsetsResponse, v: number): ListOffsetsResponse {
  return {
    throttleTimeMs: v >= 2 ? res.throttleTimeMs : 0,
    topics: res.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ ...p, leaderEpoch: v >= 4 ? p.leaderEpoch : -1 })),
    })),
  };
}

interface KafkajsListOffsetsResponse {
  throttleTime?: number;
  clientSideThrottleTime?: number;
  responses: {
    topic: string;
    partitions: { partition: number; errorCode: number; timestamp: string; offset: string }[];
  }[];
}

describe('ListOffsets', () => {
  codecSuite(
    {
      spec: ListOffsetsApi,
      decodeRequest: decodeListOffsetsRequest,
      encodeRequest: encodeListOffsetsRequest,
      decodeResponse: decodeListOffsetsResponse,
      encodeResponse: encodeListOffsetsResponse,
    },
    { arbitrary: request, project: projectRequest },
    { arbitrary: response, project: projectResponse },
  );

  it('advertises 1-5, never flexible', () => {
    expect(ListOffsetsApi).toEqual({
      key: 2,
      name: 'ListOffsets',
      minVersion: 1,
      maxVersion: 5,
      flexibleFrom: 6,
    });
  });

  it('decodes a v5 request byte for byte', () => {
    const body = hex(`
      ffffffff 00                   # replica_id -1, isolation_level 0
      00000001 0001 74              # topics: 1, name "t"
      00000001                      # partitions: 1
        00000002                    #   partition_index
        00000000                    #   current_leader_epoch (v4+)
        fffffffffffffffe            #   timestamp -2 (earliest)
    `);
    expect(decodeAll(decodeListOffsetsRequest, body, 5)).toEqual({
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: 't', partitions: [{ partitionIndex: 2, currentLeaderEpoch: 0, timestamp: -2 }] }],
    });
  });

  it('v1 has no max_num_offsets and no isolation level: one offset per partition', () => {
    const req: ListOffsetsRequest = {
      replicaId: -1,
      isolationLevel: 1,
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, currentLeaderEpoch: 3, timestamp: -1 }] }],
    };
    expect(encode(encodeListOffsetsRequest, 1, req)).toEqual(
      hex('ffffffff 00000001 0001 74 00000001 00000000 ffffffffffffffff'),
    );
  });

  it('encodes a v5 response byte for byte', () => {
    const body = encode(encodeListOffsetsResponse, 5, {
      throttleTimeMs: 0,
      topics: [
        {
          name: 't',
          partitions: [{ partitionIndex: 2, errorCode: 0, timestamp: -1, offset: 42, leaderEpoch: 0 }],
        },
      ],
    });
    expect(body).toEqual(
      hex(`
        00000000                    # throttle_time_ms (v2+)
        00000001 0001 74 00000001   # topics: 1, "t", partitions: 1
        00000002 0000               # partition_index, error_code
        ffffffffffffffff            # timestamp -1
        000000000000002a            # offset 42
        00000000                    # leader_epoch (v4+)
      `),
    );
  });

  it.each([1, 2, 3])('decodes the v%i request kafkajs sends', async (v) => {
    const body = await kafkajs('listOffsets', v).encodeRequest({
      replicaId: -1,
      isolationLevel: 1,
      topics: [
        {
          topic: 'orders',
          partitions: [
            { partition: 0, timestamp: -1 },
            { partition: 1, timestamp: 1_700_000_000_000 },
          ],
        },
      ],
    });
    expect(decodeAll(decodeListOffsetsRequest, body, v)).toEqual(
      projectRequest(
        {
          replicaId: -1,
          isolationLevel: 1,
          topics: [
            {
              name: 'orders',
              partitions: [
                { partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1 },
                { partitionIndex: 1, currentLeaderEpoch: -1, timestamp: 1_700_000_000_000 },
              ],
            },
          ],
        },
        v,
      ),
    );
  });

  it.each([1, 2, 3])('kafkajs reads our v%i response', async (v) => {
    const res: ListOffsetsResponse = {
      throttleTimeMs: 4,
      topics: [
        {
          name: 'orders',
          partitions: [
            { partitionIndex: 0, errorCode: 0, timestamp: -1, offset: 2 ** 33, leaderEpoch: 0 },
            { partitionIndex: 1, errorCode: 3, timestamp: -1, offset: -1, leaderEpoch: 0 },
          ],
        },
      ],
    };
    const d = await kafkajs('listOffsets', v).decodeResponse<KafkajsListOffsetsResponse>(
      encode(encodeListOffsetsResponse, v, res),
    );
    if (v >= 2) expect(d.clientSideThrottleTime ?? d.throttleTime).toBe(4);
    expect(d.responses).toEqual([
      {
        topic: 'orders',
        partitions: [
          { partition: 0, errorCode: 0, timestamp: '-1', offset: String(2 ** 33) },
          { partition: 1, errorCode: 3, timestamp: '-1', offset: '-1' },
        ],
      },
    ]);
  });
});
