/**
 * ListOffsets: earliest (-2) = log start, latest (-1) = log end (= high watermark = LSO), or the
 * first batch whose max timestamp is at or after the given time (batch granularity: the broker
 * does not open batches). No match → offset -1, timestamp -1, as Kafka answers.
 */
import {
  decodeListOffsetsRequest,
  encodeListOffsetsResponse,
  ListOffsetsApi,
  type ListOffsetsPartitionResponse,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
} from '../../protocol/apis/list-offsets.js';
import { ErrorCode } from '../../protocol/errors.js';
import { validateTopicName } from '../../storage/index.js';
import type { Broker } from '../broker.js';
import type { ApiHandler } from '../request-router.js';

const LATEST = -1;
const EARLIEST = -2;

export function listOffsetsHandler(
  broker: () => Broker,
): ApiHandler<ListOffsetsRequest, ListOffsetsResponse> {
  return {
    spec: ListOffsetsApi,
    decode: decodeListOffsetsRequest,
    encode: encodeListOffsetsResponse,
    async handle(req) {
      const b = broker();
      const topics = [];
      for (const t of req.topics) {
        const partitions = [];
        for (const p of t.partitions) {
          const log =
            validateTopicName(t.name) === null ? b.logs.getLog(t.name, p.partitionIndex) : undefined;
          const out: ListOffsetsPartitionResponse = {
            partitionIndex: p.partitionIndex,
            errorCode: ErrorCode.NONE,
            timestamp: -1,
            offset: -1,
            leaderEpoch: 0,
          };
          if (!log) {
            out.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          } else if (p.timestamp === LATEST) {
            out.offset = log.highWatermark;
          } else if (p.timestamp === EARLIEST) {
            out.offset = log.logStartOffset;
          } else {
            const found = await log.offsetForTimestamp(p.timestamp);
            if (found) {
              out.offset = found.offset;
              out.timestamp = found.timestamp;
            }
          }
          partitions.push(out);
        }
        topics.push({ name: t.name, partitions });
      }
      return { throttleTimeMs: 0, topics };
    },
  };
}
