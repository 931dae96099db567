/**
 * Per-partition accumulation of records into batches, for the producer's sender.
 *
 * Each partition has at most one open batch (still taking records) and a queue of sealed batches
 * waiting to be sent, ordered by batch id (= creation order). Invariants:
 * - Records of a partition enter batches in append order, and batches leave a partition in id
 *   order: a retried batch goes back into the queue at its place, so nothing after it can pass it.
 * - A batch is sealed when the next record does not fit (it then waits in the queue), or when the
 *   sender takes it: after lingerMs, at once with lingerMs = 0, or on flush. An open batch keeps
 *   filling while the broker's in-flight limit holds the sender back, which is how load batches
 *   up on its own.
 * - `bufferedBytes` counts every batch not yet settled; the producer stops taking records above
 *   its limit.
 */
import type { CompressionName } from '../protocol/record-batch.js';
import { BatchBuilder, type Bytes, type RecordHeaders } from './batch-builder.js';

/** Told once when a batch is settled: acknowledged (baseOffset, -1 if unknown) or failed. */
export interface Completion {
  settle(baseOffset: number, err: Error | null): void;
}

export class ProducerBatch {
  builder: BatchBuilder | null;
  /** The sealed bytes; null while open. */
  bytes: Buffer | null = null;
  recordCount = 0;
  readonly completions: Completion[] = [];
  /** First sequence number once stamped for an idempotent producer, else -1. */
  sequence = -1;
  /** The producer id the stamp was made under. */
  stampedBy = -1;
  attempts = 0;
  /**
   * The broker's last answer for this batch was a sequence error: it was definitively not
   * written, so it may be stamped again under a new producer id. Any other retry (a timeout, a
   * lost connection) leaves its outcome unknown.
   */
  refused = false;
  /** Not sent again before this time (retry backoff). */
  retryAt = 0;
  settled = false;

  constructor(
    readonly id: number,
    readonly queue: PartitionQueue,
    builder: BatchBuilder,
    readonly createdAt: number,
  ) {
    this.builder = builder;
  }

  /** Bytes held: capacity while open, exact once sealed. */
  get size(): number {
    return this.bytes ? this.bytes.length : this.builder!.capacity;
  }
}

export class PartitionQueue {
  open: ProducerBatch | null = null;
  /** Sealed, not in flight, ordered by id. */
  readonly waiting: ProducerBatch[] = [];
  /** Sent and not yet answered. */
  readonly inFlight = new Set<ProducerBatch>();
  /** Next sequence number to stamp (idempotent producer). */
  nextSequence = 0;

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  get idle(): boolean {
    return this.open === null && this.waiting.length === 0;
  }

  /** True when some batch older than `b` is still unacknowledged (waiting or in flight). */
  hasOlderUnacked(b: ProducerBatch): boolean {
    if (this.waiting.length > 0 && this.waiting[0].id < b.id) return true;
    for (const x of this.inFlight) if (x.id < b.id) return true;
    return false;
  }
}

export interface AccumulatorOptions {
  batchSize: number;
  lingerMs: number;
  compression: CompressionName;
}

export class RecordAccumulator {
  private readonly byTopic = new Map<string, PartitionQueue[]>();
  private readonly all: PartitionQueue[] = [];
  private nextBatchId = 0;
  bufferedBytes = 0;
  /** Called when a batch fills up, so the sender can look sooner than the linger time. */
  onBatchFull: () => void = () => {};

  constructor(readonly opts: AccumulatorOptions) {}

  queue(topic: string, partition: number): PartitionQueue {
    let list = this.byTopic.get(topic);
    if (!list) {
      list = [];
      this.byTopic.set(topic, list);
    }
    let q = list[partition];
    if (!q) {
      q = new PartitionQueue(topic, partition);
      list[partition] = q;
      this.all.push(q);
    }
    return q;
  }

  partitions(): readonly PartitionQueue[] {
    return this.all;
  }

  /**
   * Encodes one record into the partition's open batch, sealing it and opening another when the
   * record does not fit. Returns the batch holding the record; its index there is recordCount - 1.
   */
  append(
    q: PartitionQueue,
    key: Bytes | null | undefined,
    value: Bytes | null | undefined,
    timestamp: number | undefined,
    headers: RecordHeaders | undefined,
  ): ProducerBatch {
    let b = q.open;
    if (b !== null && !b.builder!.tryAppend(key, value, timestamp, headers)) {
      this.seal(q);
      this.onBatchFull();
      b = null;
    }
    if (b === null) {
      b = new ProducerBatch(this.nextBatchId++, q, new BatchBuilder(this.opts.batchSize), Date.now());
      q.open = b;
      this.bufferedBytes += b.size;
      b.builder!.tryAppend(key, value, timestamp, headers);
    }
    b.recordCount++;
    return b;
  }

  /** Seals the open batch (if any) and queues it behind the partition's other sealed batches. */
  seal(q: PartitionQueue): void {
    const b = q.open;
    if (!b) return;
    q.open = null;
    const before = b.size;
    b.bytes = b.builder!.seal(this.opts.compression);
    b.builder = null;
    this.bufferedBytes += b.size - before;
    q.waiting.push(b);
  }

  /**
   * The partition's next batch to send, or null: the oldest waiting one unless it is backing off;
   * else the open one once it has lingered long enough (or `force`, for flush). The batch is
   * removed from the queue; the caller sends it or gives it back with requeue().
   */
  take(q: PartitionQueue, now: number, force: boolean): ProducerBatch | null {
    if (
      q.waiting.length === 0 &&
      q.open !== null &&
      (force || now - q.open.createdAt >= this.opts.lingerMs)
    ) {
      this.seal(q);
    }
    const head = q.waiting[0];
    if (head === undefined || head.retryAt > now) return null;
    q.waiting.shift();
    return head;
  }

  /** Puts a batch back at its place by id (a retry, or one that did not fit in a request). */
  requeue(b: ProducerBatch): void {
    const w = b.queue.waiting;
    let i = w.length;
    while (i > 0 && w[i - 1].id > b.id) i--;
    w.splice(i, 0, b);
  }

  /**
   * Earliest time after `now` at which some partition will have something new to take (a linger
   * or a backoff ending), or Infinity. What is takeable already waits for in-flight capacity,
   * and a response wakes the sender for that.
   */
  nextWakeAt(now: number): number {
    let t = Infinity;
    for (const q of this.all) {
      const head = q.waiting[0];
      const at = head ? head.retryAt : q.open ? q.open.createdAt + this.opts.lingerMs : Infinity;
      if (at > now && at < t) t = at;
    }
    return t;
  }

  /** Forgets a settled batch's bytes. */
  release(b: ProducerBatch): void {
    this.bufferedBytes -= b.size;
  }
}
