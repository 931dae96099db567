/**
 * Metadata: this node is the only broker, the controller and every partition's leader.
 *
 * Topics null (v1+) means all topics; in v0 an empty list means all. Unknown topics are created
 * with --default-partitions when the broker allows it and the request does (v4+ flag), so
 * clients that rely on auto-creation work; invalid names get INVALID_TOPIC_EXCEPTION and never
 * reach the file system.
 */
import {
  decodeMetadataRequest,
  encodeMetadataResponse,
  MetadataApi,
  type MetadataRequest,
  type MetadataResponse,
} from '../../protocol/apis/metadata.js';
import { ErrorCode } from '../../protocol/errors.js';
import { validateTopicName } from '../../storage/index.js';
import type { Broker } from '../broker.js';
import type { ApiHandler } from '../request-router.js';

type TopicMetadata = MetadataResponse['topics'][number];

function topicMetadata(b: Broker, name: string, errorCode: number, partitions: number): TopicMetadata {
  const node = b.config.nodeId;
  return {
    errorCode,
    name,
    topicId: null,
    isInternal: false,
    partitions: Array.from({ length: partitions }, (_, i) => ({
      errorCode: ErrorCode.NONE,
      partitionIndex: i,
      leaderId: node,
      leaderEpoch: 0,
      replicaNodes: [node],
      isrNodes: [node],
      offlineReplicas: [],
    })),
    topicAuthorizedOperations: -2147483648,
  };
}

export function metadataHandler(broker: () => Broker): ApiHandler<MetadataRequest, MetadataResponse> {
  return {
    spec: MetadataApi,
    decode: decodeMetadataRequest,
    encode: encodeMetadataResponse,
    async handle(req, ctx) {
      const b = broker();
      const all = b.logs.topics();
      // Each topic once, however often it is named (Kafka reads the names into a set): naming a
      // wide topic thousands of times must not build thousands of copies of its partitions.
      const requested =
        req.topics === null || (ctx.version === 0 && req.topics.length === 0)
          ? null
          : [...new Set(req.topics.map((t) => t.name))];
      const topics: TopicMetadata[] = [];
      if (requested === null) {
        for (const [name, partitions] of all) topics.push(topicMetadata(b, name, ErrorCode.NONE, partitions));
      } else {
        for (const name of requested) {
          if (name === null || validateTopicName(name) !== null) {
            topics.push(topicMetadata(b, name ?? '', ErrorCode.INVALID_TOPIC_EXCEPTION, 0));
            continue;
          }
          let partitions = all.get(name);
          if (partitions === undefined && b.config.autoCreateTopics && req.allowAutoTopicCreation !== false) {
            try {
              await b.logs.createTopic(name, b.config.defaultPartitions);
              b.log.info({ topic: name, partitions: b.config.defaultPartitions }, 'auto-created topic');
            } catch (err) {
              // Another request may have created it meanwhile; anything else is reported below.
              if (!b.logs.topics().has(name))
                b.log.warn({ topic: name, err: (err as Error).message }, 'auto-create failed');
            }
            partitions = b.logs.topics().get(name);
          }
          topics.push(
            partitions === undefined
              ? topicMetadata(b, name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 0)
              : topicMetadata(b, name, ErrorCode.NONE, partitions),
          );
        }
      }
      const { host, port } = b.advertised;
      return {
        throttleTimeMs: 0,
        brokers: [{ nodeId: b.config.nodeId, host, port, rack: null }],
        clusterId: b.config.clusterId,
        controllerId: b.config.nodeId,
        topics,
        clusterAuthorizedOperations: -2147483648,
      };
    },
  };
}
