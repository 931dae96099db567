/**
 * DeleteTopics: by name (v0–6). Topic ids are not assigned by mq, so a deletion by id gets
 * UNKNOWN_TOPIC_ID.
 */
import {
  DeleteTopicsApi,
  type DeleteTopicsRequest,
  type DeleteTopicsResponse,
  decodeDeleteTopicsRequest,
  encodeDeleteTopicsResponse,
} from '../../protocol/apis/delete-topics.js';
import { ErrorCode } from '../../protocol/errors.js';
import { validateTopicName } from '../../storage/index.js';
import type { Broker } from '../broker.js';
import type { ApiHandler } from '../request-router.js';

type Result = DeleteTopicsResponse['responses'][number];

export function deleteTopicsHandler(
  broker: () => Broker,
): ApiHandler<DeleteTopicsRequest, DeleteTopicsResponse> {
  return {
    spec: DeleteTopicsApi,
    decode: decodeDeleteTopicsRequest,
    encode: encodeDeleteTopicsResponse,
    async handle(req) {
      const b = broker();
      const names: (string | null)[] =
        req.topicNames.length > 0 ? req.topicNames : req.topics.map((t) => t.name);
      const responses: Result[] = [];
      for (const name of names) {
        const r: Result = { name, topicId: null, errorCode: ErrorCode.NONE, errorMessage: null };
        if (name === null) {
          r.errorCode = ErrorCode.UNKNOWN_TOPIC_ID;
          r.errorMessage = 'deletion by topic id is not supported';
        } else if (validateTopicName(name) !== null) {
          r.errorCode = ErrorCode.INVALID_TOPIC_EXCEPTION;
        } else if (!b.logs.topics().has(name)) {
          r.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        } else {
          try {
            await b.logs.deleteTopic(name);
            await b.groups.deleteTopic(name);
            b.producerState.dropTopic(name);
            b.log.info({ topic: name }, 'deleted topic');
          } catch (err) {
            r.errorCode = ErrorCode.KAFKA_STORAGE_ERROR;
            r.errorMessage = (err as Error).message;
          }
        }
        responses.push(r);
      }
      return { throttleTimeMs: 0, responses };
    },
  };
}
