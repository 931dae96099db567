/**
 * Fetch: whole stored batches straight from the segment files, long-polling on min_bytes.
 *
 * - Sessionless only (session id 0): incremental fetch sessions are refused with
 *   FETCH_SESSION_ID_NOT_FOUND, which makes clients fall back to full fetches.
 * - The first batch of the first partition with data is returned even if it is larger than
 *   max_bytes / partition_max_bytes, so a consumer can always make progress.
 * - A connection's fetches run one at a time, each once the previous answer has left the
 *   socket (Connection.oneAtATime): a peer that pipelines fetches without reading the answers
 *   cannot make the broker read them all into memory.
 * - max_bytes is capped at --fetch-max-bytes (Kafka's fetch.max.bytes): records are read into
 *   broker memory, so one request asking for 2 GiB must not get (and cost) 2 GiB.
 * - High watermark = last stable offset = log end (single node, no transactions).
 * - The partitions' reads run at once when their limits fit max_bytes together (the budget then
 *   cannot cut one short), else one after the other within what is left of it.
 * - If fewer than min_bytes are ready, the request waits (up to max_wait_ms) for an append to one
 *   of its partitions, then reads again.
 */
import {
  decodeFetchRequest,
  encodeFetchResponse,
  FetchApi,
  type FetchRequest,
  type FetchResponse,
} from '../../protocol/apis/fetch.js';
import { ErrorCode } from '../../protocol/errors.js';
import {
  OffsetOutOfRangeError,
  type PartitionLog,
  type ReadResult,
  validateTopicName,
} from '../../storage/index.js';
import type { Broker } from '../broker.js';
import { partitionKey } from '../fetch-waiters.js';
import type { ApiHandler } from '../request-router.js';

type TopicResponse = FetchResponse['responses'][number];
type PartitionData = TopicResponse['partitions'][number];

const EMPTY = Buffer.alloc(0);

function emptyPartition(partitionIndex: number, errorCode: number): PartitionData {
  return {
    partitionIndex,
    errorCode,
    highWatermark: -1,
    lastStableOffset: -1,
    logStartOffset: -1,
    abortedTransactions: [],
    preferredReadReplica: -1,
    records: EMPTY,
  };
}

interface Planned {
  partition: number;
  fetchOffset: number;
  partitionMaxBytes: number;
  log: PartitionLog | undefined;
}

type ReadOutcome = { ok: ReadResult } | { err: unknown };

/** A partition's read as a value: never rejects, so reads started together cannot go unhandled. */
function readPartition(p: Planned, log: PartitionLog, limit: number): Promise<ReadOutcome> {
  return log.read(p.fetchOffset, limit).then(
    (ok) => ({ ok }),
    (err: unknown) => ({ err }),
  );
}

async function readOnce(
  b: Broker,
  req: FetchRequest,
): Promise<{ responses: TopicResponse[]; bytes: number; errors: boolean }> {
  const cap = b.config.fetchMaxBytes;
  let budget = req.maxBytes > 0 ? Math.min(req.maxBytes, cap) : cap;
  const plan = req.topics.map((topic) => {
    const valid = validateTopicName(topic.topic) === null;
    return topic.partitions.map(
      (p): Planned => ({
        partition: p.partition,
        fetchOffset: p.fetchOffset,
        partitionMaxBytes: p.partitionMaxBytes,
        log: valid ? b.logs.getLog(topic.topic, p.partition) : undefined,
      }),
    );
  });
  // When every partition's limit fits the budget together, the budget cannot cut any read short:
  // read them all at once (each is a positional read on the thread pool; one after the other,
  // eight partitions cost eight round trips there). Otherwise in order, each within what is left.
  let sum = 0;
  for (const t of plan) for (const p of t) if (p.log) sum += Math.max(1, p.partitionMaxBytes);
  const parallel =
    sum <= budget
      ? plan.map((t) =>
          t.map((p) => (p.log ? readPartition(p, p.log, Math.max(1, p.partitionMaxBytes)) : null)),
        )
      : null;
  let bytes = 0;
  let errors = false;
  const responses: TopicResponse[] = [];
  for (let ti = 0; ti < req.topics.length; ti++) {
    const topic = req.topics[ti];
    const partitions: PartitionData[] = [];
    for (let pi = 0; pi < plan[ti].length; pi++) {
      const p = plan[ti][pi];
      const log = p.log;
      if (!log) {
        errors = true;
        partitions.push(emptyPartition(p.partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
        continue;
      }
      const out = emptyPartition(p.partition, ErrorCode.NONE);
      out.highWatermark = log.highWatermark;
      out.lastStableOffset = log.highWatermark;
      out.logStartOffset = log.logStartOffset;
      if (budget > 0 || bytes === 0) {
        const limit = Math.max(1, Math.min(p.partitionMaxBytes, budget));
        const read = await (parallel?.[ti][pi] ?? readPartition(p, log, limit));
        if ('err' in read) {
          if (!(read.err instanceof OffsetOutOfRangeError)) throw read.err;
          errors = true;
          out.errorCode = ErrorCode.OFFSET_OUT_OF_RANGE;
        } else {
          const r = read.ok;
          // Only the first non-empty partition may exceed the budget.
          if (r.records.length > 0 && (bytes === 0 || r.records.length <= budget)) {
            out.records = r.records;
            bytes += r.records.length;
            budget -= r.records.length;
          }
          out.highWatermark = r.highWatermark;
          out.lastStableOffset = r.highWatermark;
          out.logStartOffset = r.logStartOffset;
        }
      }
      partitions.push(out);
    }
    responses.push({ topic: topic.topic, topicId: topic.topicId, partitions });
  }
  return { responses, bytes, errors };
}

export function fetchHandler(broker: () => Broker): ApiHandler<FetchRequest, FetchResponse> {
  return {
    spec: FetchApi,
    decode: decodeFetchRequest,
    encode: encodeFetchResponse,
    handle(req, ctx) {
      const b = broker();
      if (req.sessionId !== 0) {
        return {
          throttleTimeMs: 0,
          errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND,
          sessionId: 0,
          responses: [],
        };
      }
      // One fetch of a connection at a time, once the last one's answer was sent (Connection).
      return ctx.conn.oneAtATime(async () => {
        const deadline = Date.now() + Math.max(0, req.maxWaitMs);
        const keys = req.topics.flatMap((t) => t.partitions.map((p) => partitionKey(t.topic, p.partition)));
        for (;;) {
          const seen = b.waiters.snapshot(keys);
          const { responses, bytes, errors } = await readOnce(b, req);
          const left = deadline - Date.now();
          if (bytes >= req.minBytes || errors || left <= 0 || b.isStopping) {
            return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses };
          }
          await b.waiters.wait(keys, left, seen);
        }
      });
    },
  };
}
