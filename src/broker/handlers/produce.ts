/**
 * Produce: validate each partition's batches, append them verbatim, ack per the flush policy.
 *
 * Every append happens synchronously, before the first await, so pipelined produces on a
 * connection get offsets in arrival order. Only then does the handler wait for durability
 * (sync: the shared fdatasync). acks=0 gets no response at all, as Kafka's protocol requires.
 * A partition whose batches fail validation gets CORRUPT_MESSAGE and nothing of it is appended.
 * Idempotent batches are checked against the producer state first: a retried batch is answered
 * with its original offset and not written again, but not before the original is as durable as
 * the flush policy promises (UnsettledAppends), and with the original's error if its sync fails.
 * A batch whose sync failed is forgotten by the producer state, so that a retry of it goes to
 * the log (which refuses appends until a restart) instead of being acked as a duplicate.
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
import { UnsettledAppends } from '../producers/unsettled-appends.js';
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

function storageError(res: ProducePartitionResponse, err: Error): void {
  res.errorCode = ErrorCode.KAFKA_STORAGE_ERROR;
  res.errorMessage = err.message;
  res.baseOffset = -1;
}

/** Appends one partition's records; pushes the durability wait onto `pending`. */
function appendPartition(
  b: Broker,
  ctx: RequestContext,
  unsettled: UnsettledAppends,
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
  const key = partitionKey(topic, p.index);
  const res = partitionResult(p.index, ErrorCode.NONE);
  res.logStartOffset = log.logStartOffset;
  // Idempotence is checked per batch; every client sends one batch per partition.
  const idem = b.producerState;
  if (spans.length === 1) {
    const verdict = idem.check(topic, p.index, readBatchHeader(records, 0));
    if (verdict.kind === 'error') return partitionResult(p.index, verdict.code);
    if (verdict.kind === 'duplicate') {
      res.baseOffset = verdict.baseOffset;
      // The original may still be waiting for its sync: answer when it does, as it does.
      const durable = unsettled.durabilityOf(key, log, verdict.baseOffset);
      if (durable) pending.push(durable.catch((err: Error) => storageError(res, err)));
      return res;
    }
  }
  try {
    const appended = log.append(records);
    res.baseOffset = appended.baseOffset;
    // Every batch advances the producer state; append rewrote the base offsets in place.
    let idempotent = false;
    for (const span of spans) {
      const h = readBatchHeader(records, span.pos);
      idem.onAppend(topic, p.index, h, h.baseOffset);
      if (h.producerId >= 0) idempotent = true;
    }
    if (idempotent) unsettled.track(key, log, appended.baseOffset, appended.lastOffset, appended.durable);
    b.waiters.notify(key);
    pending.push(
      appended.durable.catch((err: Error) => {
        b.log.error({ topic, partition: p.index, err: err.message }, 'flush failed');
        storageError(res, err);
        // Not durable, perhaps not on disk: a retry must not be answered as its duplicate. The
        // log refuses appends now; after a restart the state is rebuilt from what the log holds.
        if (idempotent && b.logs.getLog(topic, p.index) === log) {
          idem.truncateTo(topic, p.index, appended.baseOffset);
        }
      }),
    );
  } catch (err) {
    b.log.error({ topic, partition: p.index, err: (err as Error).message }, 'append failed');
    return partitionResult(p.index, ErrorCode.KAFKA_STORAGE_ERROR, (err as Error).message);
  }
  return res;
}

export function produceHandler(broker: () => Broker): ApiHandler<ProduceRequest, ProduceResponse> {
  const unsettled = new UnsettledAppends();
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
            return appendPartition(b, ctx, unsettled, topic.name, p, pending);
          }),
        };
      });
      if (req.acks === 0) return null;
      if (pending.length > 0) await Promise.all(pending);
      return { responses, throttleTimeMs: 0 };
    },
  };
}
