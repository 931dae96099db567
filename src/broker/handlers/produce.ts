/**
 * Produce: validate each partition's batches, append them verbatim, ack per the flush policy.
 *
 * Every append happens synchronously, before the first await, so pipelined produces on a
 * connection get offsets in arrival order. Only then does the handler wait for durability
 * (sync: the shared fdatasync). acks=0 gets no response at all, as Kafka's protocol requires.
 * A partition whose batches fail validation gets CORRUPT_MESSAGE and nothing of it is appended.
 * Idempotent batches are checked against the producer state first: a retried batch is answered
 * with its original offset and not written again.
 */
import {
  decodeProduceRequest,
  encodeProduceResponse,
  ProduceApi,
  type ProducePartitionData,
  type ProducePartitionResponse,
  type ProduceRequest,
  type ProduceResponse,
} from '../../protocol/apis/produce.js';
import { ErrorCode } from '../../protocol/errors.js';
import { readBatchHeader, splitBatches } from '../../protocol/record-batch.js';
import { validateTopicName } from '../../storage/index.js';
import type { Broker } from '../broker.js';
import { partitionKey } from '../fetch-waiters.js';
import type { ApiHandler, RequestContext } from '../request-router.js';

function partitionResult(
  index: number,
  errorCode: number,
  errorMessage: string | null = null,
): ProducePartitionResponse {
  return {
    index,
    errorCode,
    baseOffset: -1,
    logAppendTimeMs: -1,
    logStartOffset: -1,
    recordErrors: [],
    errorMessage,
  };
}

/** Appends one partition's records; pushes the durability wait onto `pending`. */
function appendPartition(
  b: Broker,
  ctx: RequestContext,
  topic: string,
  p: ProducePartitionData,
  pending: Promise<void>[],
): ProducePartitionResponse {
  const log = b.logs.getLog(topic, p.index);
  if (!log) return partitionResult(p.index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const records = p.records;
  if (!records || records.length === 0)
    return partitionResult(p.index, ErrorCode.CORRUPT_MESSAGE, 'no records');
  const { spans, error } = splitBatches(records);
  if (error !== null) {
    b.log.warn({ conn: ctx.conn.id, topic, partition: p.index, reason: error }, 'rejected corrupt batch');
    return partitionResult(p.index, ErrorCode.CORRUPT_MESSAGE, error);
  }
  const res = partitionResult(p.index, ErrorCode.NONE);
  res.logStartOffset = log.logStartOffset;
  // Idempotence is checked per batch; every client sends one batch per partition.
  const idem = b.producerState;
  if (spans.length === 1) {
    const verdict = idem.check(topic, p.index, readBatchHeader(records, 0));
    if (verdict.kind === 'error') return partitionResult(p.index, verdict.code);
    if (verdict.kind === 'duplicate') {
      res.baseOffset = verdict.baseOffset;
      return res;
    }
  }
  try {
    const appended = log.append(records);
    res.baseOffset = appended.baseOffset;
    // Every batch advances the producer state; append rewrote the base offsets in place.
    for (const span of spans) {
      const h = readBatchHeader(records, span.pos);
      idem.onAppend(topic, p.index, h, h.baseOffset);
    }
    b.waiters.notify(partitionKey(topic, p.index));
    pending.push(
      appended.durable.catch((err: Error) => {
        b.log.error({ topic, partition: p.index, err: err.message }, 'flush failed');
        res.errorCode = ErrorCode.KAFKA_STORAGE_ERROR;
        res.errorMessage = err.message;
        res.baseOffset = -1;
      }),
    );
  } catch (err) {
    b.log.error({ topic, partition: p.index, err: (err as Error).message }, 'append failed');
    return partitionResult(p.index, ErrorCode.KAFKA_STORAGE_ERROR, (err as Error).message);
  }
  return res;
}

export function produceHandler(broker: () => Broker): ApiHandler<ProduceRequest, ProduceResponse> {
  return {
    spec: ProduceApi,
    decode: decodeProduceRequest,
    encode: encodeProduceResponse,
    async handle(req, ctx) {
      const b = broker();
      const pending: Promise<void>[] = [];
      const validAcks = req.acks === 0 || req.acks === 1 || req.acks === -1;
      const responses = req.topicData.map((topic) => {
        const topicError = validateTopicName(topic.name) === null ? null : ErrorCode.INVALID_TOPIC_EXCEPTION;
        return {
          name: topic.name,
          partitionResponses: topic.partitionData.map((p) => {
            if (!validAcks) return partitionResult(p.index, ErrorCode.INVALID_REQUIRED_ACKS);
            if (topicError !== null) return partitionResult(p.index, topicError);
            return appendPartition(b, ctx, topic.name, p, pending);
          }),
        };
      });
      if (req.acks === 0) return null;
      if (pending.length > 0) await Promise.all(pending);
      return { responses, throttleTimeMs: 0 };
    },
  };
}
