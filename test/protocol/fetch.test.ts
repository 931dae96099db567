import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeFetchRequest,
  decodeFetchResponse,
  encodeFetchRequest,
  encodeFetchResponse,
  FetchApi,
  type FetchRequest,
  type FetchResponse,
} from '../../src/protocol/apis/fetch.js';
import { encodeResponseHeader } from '../../src/protocol/header.js';
import { decodeRecords, encodeRecordBatch } from '../../src/protocol/records.js';
import { Writer } from '../../src/protocol/writer.js';
import {
  bytes,
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

// clusterId is a tagged field; the harness's unknown-tag check needs an empty tag section, so the
// random requests leave it null and a test below covers it.
const request = fc.record({
  clusterId: fc.constant(null),
  replicaId: int32,
  maxWaitMs: int32,
  minBytes: int32,
  maxBytes: int32,
  isolationLevel: int8,
  sessionId: int32,
  sessionEpoch: int32,
  topics: list(
    fc.record({
      topic: str,
      partitions: list(
        fc.record({
          partition: int32,
          currentLeaderEpoch: int32,
          fetchOffset: int64,
          lastFetchedEpoch: int32,
          logStartOffset: int64,
          partitionMaxBytes: int32,
        }),
      ),
    }),
  ),
  forgottenTopicsData: list(fc.record({ topic: str, partitions: list(int32) })),
  rackId: str,
});

const response = fc.record({
  throttleTimeMs: int32,
  errorCode: int16,
  sessionId: int32,
  responses: list(
    fc.record({
      topic: str,
      partitions: list(
        fc.record({
          partitionIndex: int32,
          errorCode: int16,
          highWatermark: int64,
          lastStableOffset: int64,
          logStartOffset: int64,
          abortedTransactions: fc.option(list(fc.record({ producerId: int64, firstOffset: int64 })), {
            nil: null,
          }),
          preferredReadReplica: int32,
          records: fc.option(bytes, { nil: null }),
        }),
      ),
    }),
  ),
});

function projectRequest(req: FetchRequest, v: number): FetchRequest {
  return {
    ...req,
    clusterId: v >= 12 ? req.clusterId : null,
    sessionId: v >= 7 ? req.sessionId : 0,
    sessionEpoch: v >= 7 ? req.sessionEpoch : -1,
    topics: req.topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((p) => ({
        ...p,
        currentLeaderEpoch: v >= 9 ? p.currentLeaderEpoch : -1,
        lastFetchedEpoch: v >= 12 ? p.lastFetchedEpoch : -1,
        logStartOffset: v >= 5 ? p.logStartOffset : -1,
      })),
    })),
    forgottenTopicsData: v >= 7 ? req.forgottenTopicsData : [],
    rackId: v >= 11 ? req.rackId : '',
  };
}

function projectResponse(res: FetchResponse, v: number): FetchResponse {
  return {
    throttleTimeMs: res.throttleTimeMs,
    errorCode: v >= 7 ? res.errorCode : 0,
    sessionId: v >= 7 ? res.sessionId : 0,
    responses: res.responses.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((p) => ({
        ...p,
        logStartOffset: v >= 5 ? p.logStartOffset : -1,
        preferredReadReplica: v >= 11 ? p.preferredReadReplica : -1,
      })),
    })),
  };
}

const baseRequest: FetchRequest = {
  clusterId: null,
  replicaId: -1,
  maxWaitMs: 500,
  minBytes: 1,
  maxBytes: 52428800,
  isolationLevel: 0,
  sessionId: 0,
  sessionEpoch: -1,
  topics: [
    {
      topic: 't',
      partitions: [
        {
          partition: 0,
          currentLeaderEpoch: -1,
          fetchOffset: 7,
          lastFetchedEpoch: -1,
          logStartOffset: -1,
          partitionMaxBytes: 1048576,
        },
      ],
    },
  ],
  forgottenTopicsData: [],
  rackId: '',
};

interface KafkajsFetchResponse {
  throttleTime?: number;
  clientSideThrottleTime?: number;
  errorCode?: number;
  sessionId?: number;
  responses: {
    topicName: string;
    partitions: {
      partition: number;
      errorCode: number;
      highWatermark: string;
      lastStableOffset: string;
      lastStartOffset?: string;
      abortedTransactions: { producerId: string; firstOffset: string }[];
      preferredReadReplica?: number;
      messages: { offset: string; key: Buffer | null; value: Buffer | null }[];
    }[];
  }[];
}

describe('Fetch', () => {
  codecSuite(
    {
      spec: FetchApi,
      decodeRequest: decodeFetchRequest,
      encodeRequest: encodeFetchRequest,
      decodeResponse: decodeFetchResponse,
      encodeResponse: encodeFetchResponse,
    },
    { arbitrary: request, project: projectRequest },
    { arbitrary: response, project: projectResponse },
  );

  it('advertises 4-12, flexible from 12', () => {
    expect(FetchApi).toEqual({ key: 1, name: 'Fetch', minVersion: 4, maxVersion: 12, flexibleFrom: 12 });
  });

  it('encodes a v12 request byte for byte', () => {
    expect(encode(encodeFetchRequest, 12, { ...baseRequest, rackId: 'r' })).toEqual(
      hex(`
        ffffffff                    # replica_id -1
        000001f4 00000001           # max_wait_ms 500, min_bytes 1
        03200000 00                 # max_bytes 50 MiB, isolation_level 0
        00000000 ffffffff           # session_id 0, session_epoch -1
        02                          # topics: compact array of 1
          02 74                     #   topic "t"
          02                        #   partitions: 1
            00000000                #     partition
            ffffffff                #     current_leader_epoch (v9+)
            0000000000000007        #     fetch_offset
            ffffffff                #     last_fetched_epoch (v12+)
            ffffffffffffffff        #     log_start_offset (v5+)
            00100000                #     partition_max_bytes
            00                      #     tagged fields
          00                        #   tagged fields
        01                          # forgotten_topics_data: compact, empty
        02 72                       # rack_id "r"
        00                          # tagged fields (no cluster_id)
      `),
    );
  });

  it('carries cluster_id as tagged field 0 in v12, skipped in earlier versions', () => {
    const req = { ...baseRequest, clusterId: 'mq-cluster' };
    const body = encode(encodeFetchRequest, 12, req);
    expect(body.subarray(body.length - 14)).toEqual(hex('01 00 0b 0b 6d712d636c7573746572'));
    expect(decodeAll(decodeFetchRequest, body, 12)).toEqual(req);
    expect(decodeAll(decodeFetchRequest, encode(encodeFetchRequest, 11, req), 11).clusterId).toBeNull();
  });

  it('encodes a v12 response (header v1, compact records length) byte for byte', () => {
    const records = hex('0102030405');
    const w = new Writer();
    encodeResponseHeader(w, 9, FetchApi.key, true);
    encodeFetchResponse(w, 12, {
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 0,
      responses: [
        {
          topic: 't',
          partitions: [
            {
              partitionIndex: 0,
              errorCode: 0,
              highWatermark: 8,
              lastStableOffset: 8,
              logStartOffset: 0,
              abortedTransactions: null,
              preferredReadReplica: -1,
              records,
            },
          ],
        },
      ],
    });
    expect(w.toBuffer()).toEqual(
      hex(`
        00000009 00                 # correlation id, header tagged fields
        00000000 0000 00000000      # throttle_time_ms, error_code, session_id
        02 02 74                    # responses: 1, topic "t"
        02                          # partitions: 1
          00000000 0000             #   partition_index, error_code
          0000000000000008          #   high_watermark
          0000000000000008          #   last_stable_offset
          0000000000000000          #   log_start_offset
          00                        #   aborted_transactions null
          ffffffff                  #   preferred_read_replica -1
          06 0102030405             #   records: compact length 5 + 1
          00                        #   tagged fields
        00                          # tagged fields
        00                          # tagged fields
      `),
    );
  });

  it('hands large records to the writer as their own chunk (no copy)', () => {
    const records = Buffer.alloc(64 * 1024, 7);
    const w = new Writer();
    encodeFetchResponse(w, 11, {
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 0,
      responses: [
        {
          topic: 't',
          partitions: [
            {
              partitionIndex: 0,
              errorCode: 0,
              highWatermark: 0,
              lastStableOffset: 0,
              logStartOffset: 0,
              abortedTransactions: [],
              preferredReadReplica: -1,
              records,
            },
          ],
        },
      ],
    });
    expect(w.toChunks()).toContain(records);
  });

  it('skips the v12 partition tagged fields a newer broker may send (DivergingEpoch, CurrentLeader)', () => {
    const body = hex(`
      00000000 0000 00000000 02 02 74 02
      00000000 0000 0000000000000008 0000000000000008 0000000000000000 00 ffffffff 01
      02                            # two tagged fields
        00 0c ffffffff ffffffffffffffff   # tag 0 DivergingEpoch (epoch, end offset)
        01 09 00000001 00000002 00        # tag 1 CurrentLeader (leader, epoch, tags)
      00 00
    `);
    const res = decodeAll(decodeFetchResponse, body, 12);
    expect(res.responses[0].partitions[0]).toMatchObject({ highWatermark: 8, records: Buffer.alloc(0) });
  });

  it.each([4, 5, 6, 7, 8, 9, 10, 11])('decodes the v%i request kafkajs sends', async (v) => {
    const body = await kafkajs('fetch', v).encodeRequest({
      replicaId: -1,
      maxWaitTime: 500,
      minBytes: 1,
      maxBytes: 10485760,
      isolationLevel: 1,
      rackId: 'rack-a',
      topics: [
        {
          topic: 'orders',
          partitions: [
            {
              partition: 3,
              currentLeaderEpoch: 4,
              fetchOffset: '99',
              logStartOffset: '-1',
              maxBytes: 1048576,
            },
          ],
        },
      ],
    });
    const req = decodeAll(decodeFetchRequest, body, v);
    expect(req).toEqual(
      projectRequest(
        {
          ...baseRequest,
          maxWaitMs: 500,
          maxBytes: 10485760,
          isolationLevel: 1,
          rackId: 'rack-a',
          topics: [
            {
              topic: 'orders',
              partitions: [
                {
                  partition: 3,
                  currentLeaderEpoch: 4,
                  fetchOffset: 99,
                  lastFetchedEpoch: -1,
                  logStartOffset: -1,
                  partitionMaxBytes: 1048576,
                },
              ],
            },
          ],
        },
        v,
      ),
    );
  });

  it.each([
    4, 5, 6, 7, 8, 9, 10, 11,
  ])('kafkajs reads our v%i response, records and partial tail included', async (v) => {
    const a = encodeRecordBatch({
      records: [{ key: Buffer.from('k'), value: Buffer.from('a') }],
      baseOffset: 40,
    });
    const b = encodeRecordBatch({ records: [{ key: null, value: Buffer.from('b') }], baseOffset: 41 });
    const records = Buffer.concat([a, b.subarray(0, b.length - 3)]); // cut like max_bytes would
    const res: FetchResponse = {
      throttleTimeMs: 2,
      errorCode: 0,
      sessionId: 0,
      responses: [
        {
          topic: 'orders',
          partitions: [
            {
              partitionIndex: 3,
              errorCode: 0,
              highWatermark: 42,
              lastStableOffset: 42,
              logStartOffset: 10,
              abortedTransactions: [],
              preferredReadReplica: -1,
              records,
            },
          ],
        },
      ],
    };
    const d = await kafkajs('fetch', v).decodeResponse<KafkajsFetchResponse>(
      encode(encodeFetchResponse, v, res),
    );
    expect(d.clientSideThrottleTime ?? d.throttleTime).toBe(2);
    const p = d.responses[0].partitions[0];
    expect(d.responses[0].topicName).toBe('orders');
    expect([p.partition, p.errorCode, p.highWatermark, p.lastStableOffset]).toEqual([3, 0, '42', '42']);
    if (v >= 5) expect(p.lastStartOffset).toBe('10');
    if (v >= 11) expect(p.preferredReadReplica).toBe(-1);
    expect(p.messages.map((m) => [m.offset, m.key?.toString() ?? null, m.value?.toString()])).toEqual([
      ['40', 'k', 'a'],
    ]);
    // And our own decoder agrees, ignoring the partial tail.
    const ours = decodeAll(decodeFetchResponse, encode(encodeFetchResponse, v, res), v);
    const batches = decodeRecords(ours.responses[0].partitions[0].records);
    expect(batches.flatMap((x) => x.records.map((r) => r.offset))).toEqual([40]);
  });
});
