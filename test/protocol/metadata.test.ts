import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AUTHORIZED_OPERATIONS_OMITTED,
  decodeMetadataRequest,
  decodeMetadataResponse,
  encodeMetadataRequest,
  encodeMetadataResponse,
  MetadataApi,
  type MetadataRequest,
  type MetadataResponse,
} from '../../src/protocol/apis/metadata.js';
import { encodeResponseHeader } from '../../src/protocol/header.js';
import { Writer } from '../../src/protocol/writer.js';
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

const request = fc.record({
  topics: fc.option(list(fc.record({ name: str })), { nil: null }),
  allowAutoTopicCreation: fc.boolean(),
  includeClusterAuthorizedOperations: fc.boolean(),
  includeTopicAuthorizedOperations: fc.boolean(),
});

const partition = fc.record({
  errorCode: int16,
  partitionIndex: int32,
  leaderId: int32,
  leaderEpoch: int32,
  replicaNodes: list(int32),
  isrNodes: list(int32),
  offlineReplicas: list(int32),
});

const response = fc.record({
  throttleTimeMs: int32,
  brokers: list(fc.record({ nodeId: int32, host: str, port: int32, rack: nullableStr })),
  clusterId: nullableStr,
  controllerId: int32,
  topics: list(
    fc.record({
      errorCode: int16,
      name: str,
      isInternal: fc.boolean(),
      partitions: list(partition),
      topicAuthorizedOperations: int32,
    }),
  ),
  clusterAuthorizedOperations: int32,
});

function projectRequest(req: MetadataRequest, v: number): MetadataRequest {
  return {
    topics: v === 0 && req.topics === null ? [] : req.topics,
    allowAutoTopicCreation: v >= 4 ? req.allowAutoTopicCreation : true,
    includeClusterAuthorizedOperations: v >= 8 && v <= 10 ? req.includeClusterAuthorizedOperations : false,
    includeTopicAuthorizedOperations: v >= 8 ? req.includeTopicAuthorizedOperations : false,
  };
}

function projectResponse(res: MetadataResponse, v: number): MetadataResponse {
  return {
    throttleTimeMs: v >= 3 ? res.throttleTimeMs : 0,
    brokers: res.brokers.map((b) => ({ ...b, rack: v >= 1 ? b.rack : null })),
    clusterId: v >= 2 ? res.clusterId : null,
    controllerId: v >= 1 ? res.controllerId : -1,
    topics: res.topics.map((t) => ({
      errorCode: t.errorCode,
      name: t.name,
      isInternal: v >= 1 ? t.isInternal : false,
      partitions: t.partitions.map((p) => ({
        ...p,
        leaderEpoch: v >= 7 ? p.leaderEpoch : -1,
        offlineReplicas: v >= 5 ? p.offlineReplicas : [],
      })),
      topicAuthorizedOperations: v >= 8 ? t.topicAuthorizedOperations : AUTHORIZED_OPERATIONS_OMITTED,
    })),
    clusterAuthorizedOperations:
      v >= 8 && v <= 10 ? res.clusterAuthorizedOperations : AUTHORIZED_OPERATIONS_OMITTED,
  };
}

/** What kafkajs's metadata response decoders return (fields by version). */
interface KafkajsMetadata {
  throttleTime?: number;
  clientSideThrottleTime?: number;
  brokers: { nodeId: number; host: string; port: number; rack?: string | null }[];
  clusterId?: string | null;
  controllerId?: number;
  topicMetadata: {
    topicErrorCode: number;
    topic: string;
    isInternal?: boolean;
    partitionMetadata: {
      partitionErrorCode: number;
      partitionId: number;
      leader: number;
      replicas: number[];
      isr: number[];
      offlineReplicas?: number[];
    }[];
  }[];
}

const sample: MetadataResponse = {
  throttleTimeMs: 0,
  brokers: [{ nodeId: 1, host: '127.0.0.1', port: 9092, rack: null }],
  clusterId: 'mq',
  controllerId: 1,
  topics: [
    {
      errorCode: 0,
      name: 't',
      isInternal: false,
      partitions: [
        {
          errorCode: 0,
          partitionIndex: 0,
          leaderId: 1,
          leaderEpoch: 0,
          replicaNodes: [1],
          isrNodes: [1],
          offlineReplicas: [],
        },
      ],
      topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    },
  ],
  clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
};

describe('Metadata', () => {
  codecSuite(
    {
      spec: MetadataApi,
      decodeRequest: decodeMetadataRequest,
      encodeRequest: encodeMetadataRequest,
      decodeResponse: decodeMetadataResponse,
      encodeResponse: encodeMetadataResponse,
    },
    { arbitrary: request, project: projectRequest },
    { arbitrary: response, project: projectResponse },
  );

  it('advertises 0-9, flexible from 9', () => {
    expect(MetadataApi).toEqual({ key: 3, name: 'Metadata', minVersion: 0, maxVersion: 9, flexibleFrom: 9 });
  });

  it('encodes a v9 response (header v1 + body) byte for byte', () => {
    const w = new Writer();
    encodeResponseHeader(w, 7, MetadataApi.key, true);
    encodeMetadataResponse(w, 9, sample);
    expect(w.toBuffer()).toEqual(
      hex(`
        00000007                    # correlation id
        00                          # response header v1 tagged fields
        00000000                    # throttle_time_ms
        02                          # brokers: compact array of 1
          00000001                  #   node_id
          0a 3132372e302e302e31     #   host "127.0.0.1"
          00002384                  #   port 9092
          00                        #   rack null
          00                        #   tagged fields
        03 6d71                     # cluster_id "mq"
        00000001                    # controller_id
        02                          # topics: compact array of 1
          0000                      #   error_code
          02 74                     #   name "t"
          00                        #   is_internal
          02                        #   partitions: compact array of 1
            0000 00000000 00000001  #     error_code, partition_index, leader_id
            00000000                #     leader_epoch
            02 00000001             #     replica_nodes [1]
            02 00000001             #     isr_nodes [1]
            01                      #     offline_replicas []
            00                      #     tagged fields
          80000000                  #   topic_authorized_operations
          00                        #   tagged fields
        80000000                    # cluster_authorized_operations (v8-10)
        00                          # tagged fields
      `),
    );
  });

  it('decodes the v4 request librdkafka sends for all topics (null array, auto-create off)', () => {
    expect(decodeAll(decodeMetadataRequest, hex('ffffffff 00'), 4)).toEqual({
      topics: null,
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
  });

  it('sends null topics in v0 as the empty list (all topics there)', () => {
    const req: MetadataRequest = {
      topics: null,
      allowAutoTopicCreation: true,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    };
    expect(encode(encodeMetadataRequest, 0, req)).toEqual(hex('00000000'));
    expect(encode(encodeMetadataRequest, 1, req)).toEqual(hex('ffffffff'));
  });

  it.each([0, 1, 2, 3, 4, 5, 6])('decodes the v%i request kafkajs sends', async (v) => {
    const body = await kafkajs('metadata', v).encodeRequest({
      topics: ['a', 'bb'],
      allowAutoTopicCreation: false,
    });
    expect(decodeAll(decodeMetadataRequest, body, v)).toEqual(
      projectRequest(
        {
          topics: [{ name: 'a' }, { name: 'bb' }],
          allowAutoTopicCreation: false,
          includeClusterAuthorizedOperations: false,
          includeTopicAuthorizedOperations: false,
        },
        v,
      ),
    );
  });

  it.each([0, 1, 2, 3, 4, 5, 6])('kafkajs reads our v%i response', async (v) => {
    const res: MetadataResponse = {
      ...sample,
      throttleTimeMs: 3,
      brokers: [
        { nodeId: 1, host: 'h1', port: 9092, rack: 'r1' },
        { nodeId: 2, host: 'h2', port: 9093, rack: null },
      ],
      topics: [
        { ...sample.topics[0], name: 'x', isInternal: true },
        { ...sample.topics[0], name: 'y', errorCode: 3, partitions: [] },
      ],
    };
    res.topics[0].partitions = [
      {
        errorCode: 0,
        partitionIndex: 4,
        leaderId: 2,
        leaderEpoch: 5,
        replicaNodes: [2, 1],
        isrNodes: [2],
        offlineReplicas: [1],
      },
    ];
    const d = await kafkajs('metadata', v).decodeResponse<KafkajsMetadata>(
      encode(encodeMetadataResponse, v, res),
    );
    expect(d.brokers).toEqual(
      res.brokers.map((b) =>
        v >= 1
          ? { nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack }
          : { nodeId: b.nodeId, host: b.host, port: b.port },
      ),
    );
    if (v >= 1) expect(d.controllerId).toBe(1);
    if (v >= 2) expect(d.clusterId).toBe('mq');
    if (v >= 3) expect(d.clientSideThrottleTime ?? d.throttleTime).toBe(3);
    expect(d.topicMetadata.map((t) => [t.topicErrorCode, t.topic, t.isInternal])).toEqual([
      [0, 'x', v >= 1 ? true : undefined],
      [3, 'y', v >= 1 ? false : undefined],
    ]);
    const p = d.topicMetadata[0].partitionMetadata[0];
    expect([p.partitionErrorCode, p.partitionId, p.leader, p.replicas, p.isr]).toEqual([
      0,
      4,
      2,
      [2, 1],
      [2],
    ]);
    if (v >= 5) expect(p.offlineReplicas).toEqual([1]);
  });
});
