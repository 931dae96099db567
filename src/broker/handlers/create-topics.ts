/**
 * CreateTopics: single node, so replication factor must be -1 or 1 and manual replica
 * assignments are refused. Partitions -1 means the broker default. validate_only checks without
 * creating. Configs are accepted and ignored except where noted in the docs.
 */
import {
  CreateTopicsApi,
  type CreateTopicsRequest,
  type CreateTopicsResponse,
  decodeCreateTopicsRequest,
  encodeCreateTopicsResponse,
} from '../../protocol/apis/create-topics.js';
import { ErrorCode } from '../../protocol/errors.js';
import { validateTopicName } from '../../storage/index.js';
import type { Broker } from '../broker.js';
import type { ApiHandler } from '../request-router.js';

type TopicResult = CreateTopicsResponse['topics'][number];

export function createTopicsHandler(
  broker: () => Broker,
): ApiHandler<CreateTopicsRequest, CreateTopicsResponse> {
  return {
    spec: CreateTopicsApi,
    decode: decodeCreateTopicsRequest,
    encode: encodeCreateTopicsResponse,
    async handle(req) {
      const b = broker();
      const topics: TopicResult[] = [];
      for (const t of req.topics) {
        const partitions = t.numPartitions === -1 ? b.config.defaultPartitions : t.numPartitions;
        const result: TopicResult = {
          name: t.name,
          topicId: null,
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          topicConfigErrorCode: 0,
          numPartitions: partitions,
          replicationFactor: 1,
          configs: [],
        };
        const fail = (code: number, message: string) => {
          result.errorCode = code;
          result.errorMessage = message;
          result.numPartitions = -1;
          result.replicationFactor = -1;
        };
        const nameError = validateTopicName(t.name);
        if (nameError !== null) fail(ErrorCode.INVALID_TOPIC_EXCEPTION, nameError);
        else if (b.logs.topics().has(t.name))
          fail(ErrorCode.TOPIC_ALREADY_EXISTS, `topic '${t.name}' already exists`);
        else if (t.assignments.length > 0)
          fail(ErrorCode.INVALID_REQUEST, 'manual replica assignment is not supported');
        else if (partitions < 1 || partitions > b.config.maxPartitionsPerTopic) {
          fail(ErrorCode.INVALID_PARTITIONS, `partitions must be 1..${b.config.maxPartitionsPerTopic}`);
        } else if (t.replicationFactor !== -1 && t.replicationFactor !== 1) {
          fail(
            ErrorCode.INVALID_REPLICATION_FACTOR,
            'mq serve is a single node: replication factor must be 1',
          );
        } else if (!req.validateOnly) {
          try {
            await b.logs.createTopic(t.name, partitions);
            b.log.info({ topic: t.name, partitions }, 'created topic');
          } catch (err) {
            if (b.logs.topics().has(t.name))
              fail(ErrorCode.TOPIC_ALREADY_EXISTS, `topic '${t.name}' already exists`);
            else fail(ErrorCode.KAFKA_STORAGE_ERROR, (err as Error).message);
          }
        }
        topics.push(result);
      }
      return { throttleTimeMs: 0, topics };
    },
  };
}
