/**
 * The producer's sender: takes ready batches from the accumulator, groups them by leader into
 * Produce requests (one batch per partition per request, as Kafka requires for v3+), keeps at
 * most maxInFlight requests per broker, and settles or retries each batch from the response.
 *
 * It runs as a drain pass scheduled with setImmediate whenever something changes (a record
 * appended, a batch full, a response back, a backoff or linger expired), so records appended in
 * one tick share batches and requests. Sequence numbers are stamped inside the drain, before any
 * await, so they follow batch order; requests to one broker are written in the order they are
 * built because they await the same connection promise.
 */
import {
  decodeProduceResponse,
  encodeProduceRequest,
  ProduceApi,
  type ProduceRequest,
  type ProduceResponse,
} from '../protocol/apis/produce.js';
import { ErrorCode, isRetriable } from '../protocol/errors.js';
import type { PartitionQueue, ProducerBatch, RecordAccumulator } from './accumulator.js';
import { type Cluster, sleep } from './cluster.js';
import {
  BrokerError,
  ClientClosedError,
  isRetriableError,
  KafkaClientError,
  needsMetadataRefresh,
  RequestTimeoutError,
} from './errors.js';
import type { ProducerIdentity } from './idempotence.js';

export interface SenderOptions {
  acks: number;
  ackTimeoutMs: number;
  requestTimeoutMs: number;
  maxInFlight: number;
  retries: number;
  retryBackoffMs: number;
  deliveryTimeoutMs: number;
  maxRequestSize: number;
  idempotence: ProducerIdentity | null;
  onSettled: () => void;
}

export class ProduceSender {
  private scheduled = false;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private readonly inFlight = new Map<number, number>();
  private totalInFlight = 0;
  private refreshing = false;
  private flushing = 0;
  private rotation = 0;
  private closed = false;

  constructor(
    private readonly cluster: Cluster,
    private readonly acc: RecordAccumulator,
    private readonly o: SenderOptions,
  ) {
    acc.onBatchFull = () => this.wake();
  }

  wake(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  /** Resolves when every batch existing now (open, waiting or in flight) is settled. */
  async flush(): Promise<void> {
    const pending: Promise<void>[] = [];
    for (const q of this.acc.partitions()) {
      const batches = [...q.waiting, ...q.inFlight];
      if (q.open) batches.push(q.open);
      for (const b of batches) {
        pending.push(new Promise<void>((resolve) => b.completions.push({ settle: () => resolve() })));
      }
    }
    if (pending.length === 0) return;
    this.flushing++;
    this.wake();
    try {
      await Promise.all(pending);
    } finally {
      this.flushing--;
    }
  }

  /** Stops sending; whatever is still unsent fails with ClientClosedError. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const err = new ClientClosedError('producer');
    for (const q of this.acc.partitions()) {
      this.acc.seal(q);
      for (const b of q.waiting.splice(0)) this.settle(b, -1, err);
    }
  }

  private drain(): void {
    this.scheduled = false;
    if (this.closed) return;
    const identity = this.o.idempotence;
    if (identity?.resetNeeded) {
      // Start over only once every request is answered: a batch still in flight under the old
      // id could otherwise land after batches stamped under the new one.
      const now = Date.now();
      for (const q of this.acc.partitions()) this.expire(q, now);
      if (this.totalInFlight === 0) {
        // A batch sent before whose outcome is unknown may already be in the log: stamping it
        // again under the new producer id would write it twice. It fails instead (the caller
        // sees an indeterminate send), as Kafka's producer fails such batches on an epoch bump.
        for (const q of this.acc.partitions()) {
          for (const b of [...q.waiting]) {
            if (b.attempts > 0 && !b.refused) {
              q.waiting.splice(q.waiting.indexOf(b), 1);
              this.settle(b, -1, new ProducerResetError(`${q.topic}-${q.partition}`));
            }
          }
        }
        identity
          .reset(this.cluster, this.acc.partitions())
          .catch(() => sleep(this.o.retryBackoffMs))
          .finally(() => this.wake());
      }
      return;
    }
    const now = Date.now();
    const byLeader = new Map<number, PartitionQueue[]>();
    const missing = new Set<string>();
    const queues = this.acc.partitions();
    const n = queues.length;
    this.rotation = (this.rotation + 1) % Math.max(n, 1);
    for (let i = 0; i < n; i++) {
      const q = queues[(i + this.rotation) % n];
      if (q.idle) continue;
      const leader = this.cluster.leaderFor(q.topic, q.partition);
      if (leader < 0) {
        missing.add(q.topic);
        this.expire(q, now);
        continue;
      }
      let list = byLeader.get(leader);
      if (!list) {
        list = [];
        byLeader.set(leader, list);
      }
      list.push(q);
    }
    const force = this.flushing > 0;
    for (const [leader, list] of byLeader) {
      while ((this.inFlight.get(leader) ?? 0) < this.o.maxInFlight) {
        const batches: ProducerBatch[] = [];
        const taken = new Set<PartitionQueue>();
        let bytes = 0;
        const collect = (takeOpen: boolean) => {
          for (const q of list) {
            if (taken.has(q)) continue;
            const b = this.acc.take(q, now, takeOpen);
            if (!b) continue;
            if (batches.length > 0 && bytes + b.size > this.o.maxRequestSize) {
              this.acc.requeue(b);
              continue;
            }
            taken.add(q);
            batches.push(b);
            bytes += b.size;
          }
        };
        collect(force);
        if (batches.length === 0) break;
        // The broker gets a request anyway: as Kafka's accumulator drains a ready node, every
        // partition with records rides along, lingered or not (one batch per partition).
        if (!force) collect(true);
        this.send(leader, batches);
      }
    }
    if (missing.size > 0) this.refreshMetadata([...missing]);
    this.armTimer(now);
  }

  private armTimer(now: number): void {
    const at = this.acc.nextWakeAt(now);
    if (at === Infinity || at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = Infinity;
      this.wake();
    }, at - now);
  }

  private refreshMetadata(topics: string[]): void {
    if (this.refreshing) return;
    this.refreshing = true;
    this.cluster
      .refreshMetadata(topics)
      .catch(() => {})
      .then(() => sleep(topics.some((t) => this.cluster.topic(t) === undefined) ? this.o.retryBackoffMs : 0))
      .finally(() => {
        this.refreshing = false;
        this.wake();
      });
  }

  /** Fails the waiting batches that are past the delivery timeout (no leader, or no producer id). */
  private expire(q: PartitionQueue, now: number): void {
    while (q.waiting.length > 0 && now - q.waiting[0].createdAt > this.o.deliveryTimeoutMs) {
      const b = q.waiting.shift()!;
      this.settle(
        b,
        -1,
        new RequestTimeoutError(`${q.topic}-${q.partition}: no leader within the delivery timeout`),
      );
    }
  }

  private send(leader: number, batches: ProducerBatch[]): void {
    this.inFlight.set(leader, (this.inFlight.get(leader) ?? 0) + 1);
    this.totalInFlight++;
    for (const b of batches) {
      b.attempts++;
      b.refused = false;
      this.o.idempotence?.stamp(b);
      b.queue.inFlight.add(b);
    }
    this.dispatch(leader, batches).finally(() => {
      this.inFlight.set(leader, this.inFlight.get(leader)! - 1);
      this.totalInFlight--;
      this.wake();
    });
  }

  private async dispatch(leader: number, batches: ProducerBatch[]): Promise<void> {
    const req = buildRequest(batches, this.o.acks, this.o.ackTimeoutMs);
    let res: ProduceResponse;
    try {
      const conn = await this.cluster.connectionTo(leader, 'produce');
      if (this.o.acks === 0) {
        conn.sendOnly(ProduceApi, (w, v) => encodeProduceRequest(w, v, req));
        for (const b of batches) this.settle(b, -1, null);
        return;
      }
      res = await conn.request(
        ProduceApi,
        (w, v) => encodeProduceRequest(w, v, req),
        decodeProduceResponse,
        this.o.ackTimeoutMs + this.o.requestTimeoutMs,
      );
    } catch (err) {
      for (const b of batches) this.retryOrFail(b, err as Error);
      if (isRetriableError(err)) this.refreshMetadata(batches.map((b) => b.queue.topic));
      return;
    }
    const byKey = new Map<string, ProducerBatch>();
    for (const b of batches) byKey.set(`${b.queue.partition}:${b.queue.topic}`, b);
    for (const t of res.responses) {
      for (const p of t.partitionResponses) {
        const key = `${p.index}:${t.name}`;
        const b = byKey.get(key);
        if (!b) continue;
        byKey.delete(key);
        this.onPartitionResult(b, p.errorCode, p.baseOffset);
      }
    }
    for (const b of byKey.values()) {
      this.retryOrFail(
        b,
        new KafkaClientError('PROTOCOL', 'the Produce response left out a partition', true),
      );
    }
  }

  private onPartitionResult(b: ProducerBatch, code: number, baseOffset: number): void {
    const q = b.queue;
    if (code === ErrorCode.NONE) {
      this.settle(b, baseOffset, null);
      return;
    }
    // Already written by an earlier attempt whose answer was lost.
    if (code === ErrorCode.DUPLICATE_SEQUENCE_NUMBER) {
      this.settle(b, -1, null);
      return;
    }
    const err = new BrokerError(code, `${q.topic}-${q.partition}`);
    const identity = this.o.idempotence;
    if (
      code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER &&
      q.hasOlderUnacked(b) &&
      b.stampedBy === identity?.producerId
    ) {
      // The gap is an older batch being retried: this one goes again after it.
      this.retryOrFail(b, err, true);
      return;
    }
    if (identity && SEQUENCE_ERRORS.has(code) && identity.lostTrack(b, code)) {
      identity.resetNeeded = true;
      b.refused = true;
      this.retryOrFail(b, err, true);
      return;
    }
    if (needsMetadataRefresh(code)) {
      this.cluster.invalidate(q.topic);
      this.refreshMetadata([q.topic]);
    }
    if (isRetriable(code)) this.retryOrFail(b, err);
    else this.settle(b, -1, err);
  }

  private retryOrFail(b: ProducerBatch, err: Error, force = false): void {
    const now = Date.now();
    b.queue.inFlight.delete(b);
    const retriable = force || isRetriableError(err);
    if (
      this.closed ||
      !retriable ||
      b.attempts > this.o.retries ||
      now - b.createdAt > this.o.deliveryTimeoutMs
    ) {
      this.settle(b, -1, err);
      return;
    }
    b.retryAt = now + Math.min(this.o.retryBackoffMs * 2 ** (b.attempts - 1), 1000);
    this.acc.requeue(b);
    this.armTimer(now);
  }

  private settle(b: ProducerBatch, baseOffset: number, err: Error | null): void {
    if (b.settled) return;
    b.settled = true;
    // A stamped batch given up leaves a gap in its partition's sequences: start over.
    if (err && b.sequence >= 0 && this.o.idempotence && !this.closed) this.o.idempotence.resetNeeded = true;
    b.queue.inFlight.delete(b);
    this.acc.release(b);
    for (const c of b.completions) c.settle(baseOffset, err);
    this.o.onSettled();
  }
}

/** A batch whose outcome is unknown was failed because the producer had to start over. */
export class ProducerResetError extends Error {
  override name = 'ProducerResetError';
  readonly retriable = false;
  constructor(partition: string) {
    super(
      `${partition}: the idempotent producer had to take a new producer id while this batch's outcome was unknown; it may or may not have been written`,
    );
  }
}

const SEQUENCE_ERRORS = new Set<number>([
  ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  ErrorCode.UNKNOWN_PRODUCER_ID,
  ErrorCode.INVALID_PRODUCER_EPOCH,
]);

function buildRequest(batches: ProducerBatch[], acks: number, timeoutMs: number): ProduceRequest {
  const topics = new Map<string, { index: number; records: Buffer }[]>();
  for (const b of batches) {
    let list = topics.get(b.queue.topic);
    if (!list) {
      list = [];
      topics.set(b.queue.topic, list);
    }
    list.push({ index: b.queue.partition, records: b.bytes! });
  }
  return {
    transactionalId: null,
    acks,
    timeoutMs,
    topicData: [...topics].map(([name, partitionData]) => ({ name, partitionData })),
  };
}
