/**
 * Metadata: this node is the only broker, the controller and every partition's leader.
 *
 * Topics null (v1+) means all topics; in v0 an empty list means all. Unknown topics are created
 * with --default-partitions when the broker allows it and the request does (v4+ flag), so
 * clients that rely on auto-creation work; invalid names get INVALID_TOPIC_EXCEPTION and never
 * reach the file system.
 *
 * Encoded answers are kept per (version, topics asked) until a topic is created or deleted: a
 * 1,000-partition answer costs about a millisecond to build, and a thousand clients refreshing
 * metadata at once would otherwise queue for seconds behind each other.
 */
import {
  decodeMetadataRequest,
  encodeMetadataResponse,
  MetadataApi,
  type MetadataRequest,
  type MetadataResponse,
} from '../../protocol/apis/metadata.js';
import { ErrorCode } from '../../protocol/errors.js';
import { Writer } from '../../protocol/writer.js';
import { validateTopicName } from '../../storage/index.js';
import type { Broker } from '../broker.js';
import type { ApiHandler } from '../request-router.js';

/** An answer encoded earlier: the router's encode writes its bytes as they are. */
interface Encoded {
  encoded: Buffer;
}

const CACHED_ANSWERS = 256;
const CACHED_BYTES = 16 << 20;

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

export function metadataHandler(
  broker: () => Broker,
): ApiHandler<MetadataRequest, MetadataResponse | Encoded> {
  const cache = new Map<string, Buffer>();
  let cachedEpoch = -1;
  let cachedBytes = 0;
  return {
    spec: MetadataApi,
    decode: decodeMetadataRequest,
    encode: (w, version, res) => {
      if ('encoded' in res) w.raw(res.encoded);
      else encodeMetadataResponse(w, version, res);
    },
    async handle(req, ctx) {
      const b = broker();
      // Each topic once, however often it is named (Kafka reads the names into a set): naming a
      // wide topic thousands of times must not build thousands of copies of its partitions.
      const requested =
        req.topics === null || (ctx.version === 0 && req.topics.length === 0)
          ? null
          : [...new Set(req.topics.map((t) => t.name))];
      // Cached unless this request may create a topic.
      const mayCreate =
        requested !== null &&
        b.config.autoCreateTopics &&
        req.allowAutoTopicCreation !== false &&
        requested.some(
          (n) => n !== null && b.logs.getLog(n, 0) === undefined && validateTopicName(n) === null,
        );
      let key: string | null = null;
      if (!mayCreate) {
        if (cachedEpoch !== b.logs.topicEpoch) {
          cache.clear();
          cachedBytes = 0;
          cachedEpoch = b.logs.topicEpoch;
        }
        key = `${ctx.version} ${JSON.stringify(requested)}`;
        const hit = cache.get(key);
        if (hit !== undefined) return { encoded: hit };
      }
      // Built only on a miss: listing every topic is work a cached answer does not need.
      const answer = await build(b, b.logs.topics(), requested, req);
      if (key === null) return answer;
      const w = new Writer(1024);
      encodeMetadataResponse(w, ctx.version, answer);
      const encoded = w.toBuffer();
      if (cache.size >= CACHED_ANSWERS || cachedBytes + encoded.length > CACHED_BYTES) {
        cache.clear();
        cachedBytes = 0;
      }
      cache.set(key, encoded);
      cachedBytes += encoded.length;
      return { encoded };
    },
  };
}

async function build(
  b: Broker,
  all: Map<string, number>,
  requested: (string | null)[] | null,
  req: MetadataRequest,
): Promise<MetadataResponse> {
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
}
