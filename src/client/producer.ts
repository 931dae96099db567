/**
 * The producer: partitioning, accumulation (accumulator.ts), and a sender that packs every ready
 * partition led by a broker into one Produce request, up to maxInFlight requests per broker.
 *
 * Delivery invariants:
 * - Per partition, batches are sent in creation order; a retried batch goes back to its place
 *   and holds the ones behind it, so with maxInFlight = 1 order is kept across retries. With
 *   `idempotent`, sequence numbers are stamped when a batch is first sent (in that same order) and
 *   a retry resends the same bytes, so the broker drops duplicates and rejects gaps; a gap caused
 *   by an older batch being retried (OUT_OF_ORDER_SEQUENCE_NUMBER) is retried too.
 * - Every batch is settled exactly once: acknowledged, or failed after `retries` attempts or
 *   deliveryTimeoutMs. flush() waits for the batches that exist when it is called.
 *
 * Hot path: sendBatch() encodes records straight into batch buffers and settles one promise for
 * the call; send() is the per-record convenience (one promise per record).
 */
import type { CompressionName } from '../protocol/record-batch.js';
import { type Completion, type ProducerBatch, RecordAccumulator } from './accumulator.js';
import type { Bytes, RecordHeaders } from './batch-builder.js';
import { Cluster, type ClusterOptions } from './cluster.js';
import { ClientClosedError, KafkaClientError } from './errors.js';
import { ProducerIdentity } from './idempotence.js';
import { Partitioner, type PartitionerKind } from './partitioner.js';
import { ProduceSender } from './produce-sender.js';

export interface ProducerOptions extends ClusterOptions {
  /** -1 (all, default), 1 (leader), 0 (no response at all). */
  acks?: -1 | 0 | 1;
  /** Broker-side wait for acks (Produce timeout_ms). */
  ackTimeoutMs?: number;
  /** Batch size in bytes, header included (default 16 KiB). */
  batchSize?: number;
  /** How long a partition's batch waits for more records before it may be sent (default 0). */
  lingerMs?: number;
  /** Produce requests outstanding per broker (default 5; at most 5 when idempotent). */
  maxInFlight?: number;
  compression?: CompressionName;
  /** Attempts after the first for retriable errors (default 5). */
  retries?: number;
  /** First retry backoff, doubled per attempt up to 1 s (default 100 ms). */
  retryBackoffMs?: number;
  /** A batch not acknowledged this long after it was created fails (default 120 s). */
  deliveryTimeoutMs?: number;
  idempotent?: boolean;
  /** Upper bound of one Produce request's record bytes (default 1 MiB). */
  maxRequestSize?: number;
  /** Bytes of unsettled batches above which send() and sendBatch() wait (default 32 MiB). */
  bufferMemory?: number;
  /** Where records without key or partition go: 'sticky' (default, KIP-480) or 'roundrobin'. */
  partitioner?: PartitionerKind;
}

export interface ProducerRecord {
  topic: string;
  key?: Bytes | null;
  value: Bytes | null;
  headers?: RecordHeaders;
  partition?: number;
  timestamp?: number;
}

export interface RecordMetadata {
  topic: string;
  partition: number;
  /** -1 when unknown (acks=0, or a duplicate the broker had already written). */
  offset: number;
}

/** A record of sendBatch(): topic and partition are the call's. */
export interface BatchRecord {
  key?: Bytes | null;
  value: Bytes | null;
  headers?: RecordHeaders;
  timestamp?: number;
}

export interface BatchResult {
  topic: string;
  partition: number;
  /** Offset of the call's first record (-1 when unknown). */
  baseOffset: number;
  count: number;
  /**
   * The call's records by batch, as (index of the first record of the call in the batch, its
   * offset): a call longer than one batch need not land contiguously (another producer's batch,
   * or a retry, can come between). Offset -1 when unknown.
   */
  runs: [number, number][];
}

/** The offset of record `i` of a sendBatch() call (-1 when unknown). */
export function offsetInCall(r: BatchResult, i: number): number {
  let run = r.runs[0];
  for (let k = 1; k < r.runs.length && r.runs[k][0] <= i; k++) run = r.runs[k];
  if (run === undefined || run[1] < 0) return -1;
  return run[1] + (i - run[0]);
}

class RecordCompletion implements Completion {
  constructor(
    private readonly topic: string,
    private readonly partition: number,
    private readonly index: number,
    private readonly resolve: (m: RecordMetadata) => void,
    private readonly reject: (e: Error) => void,
  ) {}
  settle(baseOffset: number, err: Error | null): void {
    if (err) this.reject(err);
    else
      this.resolve({
        topic: this.topic,
        partition: this.partition,
        offset: baseOffset < 0 ? -1 : baseOffset + this.index,
      });
  }
}

/** One sendBatch() call spanning one or more batches: settles when the last of them does. */
class CallTracker {
  pending = 0;
  baseOffset = -2;
  error: Error | null = null;
  readonly runs: [number, number][] = [];
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly count: number,
    readonly resolve: (r: BatchResult) => void,
    readonly reject: (e: Error) => void,
  ) {}
  /** The call's record `callIndex` is record `index` of a batch: the first of the call in it. */
  part(index: number, callIndex: number): Completion {
    this.pending++;
    const first = this.pending === 1;
    const run: [number, number] = [callIndex, -1];
    this.runs.push(run);
    return {
      settle: (base, err) => {
        if (err) this.error ??= err;
        else run[1] = base < 0 ? -1 : base + index;
        if (!err && first) this.baseOffset = run[1];
        if (--this.pending > 0) return;
        if (this.error) this.reject(this.error);
        else
          this.resolve({
            topic: this.topic,
            partition: this.partition,
            baseOffset: this.baseOffset,
            count: this.count,
            runs: this.runs,
          });
      },
    };
  }
}

export class Producer {
  readonly cluster: Cluster;
  private readonly acc: RecordAccumulator;
  private readonly sender: ProduceSender;
  private readonly bufferMemory: number;
  private readonly partitioner: Partitioner;
  private readonly idempotence: ProducerIdentity | null;
  private connecting: Promise<void> | null = null;
  private connected = false;
  private closed = false;
  private spaceWaiters: (() => void)[] = [];
  private backlog: { topic: string; run: () => void; fail: (e: Error) => void }[] = [];
  private pumping: Promise<void> | null = null;

  constructor(opts: ProducerOptions) {
    const acks = opts.acks ?? -1;
    const maxInFlight = opts.maxInFlight ?? 5;
    if (opts.idempotent && acks !== -1) throw invalid('an idempotent producer needs acks = -1');
    if (opts.idempotent && maxInFlight > 5)
      throw invalid('an idempotent producer allows at most 5 requests in flight');
    if (maxInFlight < 1) throw invalid('maxInFlight must be at least 1');
    this.cluster = new Cluster(opts);
    this.acc = new RecordAccumulator({
      batchSize: opts.batchSize ?? 16_384,
      lingerMs: opts.lingerMs ?? 0,
      compression: opts.compression ?? 'none',
    });
    this.bufferMemory = opts.bufferMemory ?? 32 * 1024 * 1024;
    this.partitioner = new Partitioner(opts.partitioner ?? 'sticky');
    this.idempotence = opts.idempotent ? new ProducerIdentity() : null;
    this.sender = new ProduceSender(this.cluster, this.acc, {
      acks,
      ackTimeoutMs: opts.ackTimeoutMs ?? 30_000,
      requestTimeoutMs: opts.requestTimeoutMs ?? 30_000,
      maxInFlight,
      retries: opts.retries ?? 5,
      retryBackoffMs: opts.retryBackoffMs ?? 100,
      deliveryTimeoutMs: opts.deliveryTimeoutMs ?? 120_000,
      maxRequestSize: opts.maxRequestSize ?? 1024 * 1024,
      idempotence: this.idempotence,
      onSettled: () => this.releaseSpace(),
    });
  }

  get producerId(): number {
    return this.idempotence?.producerId ?? -1;
  }

  get producerEpoch(): number {
    return this.idempotence?.producerEpoch ?? -1;
  }

  /** Loads metadata and, when idempotent, obtains a producer id. Called by the first send if needed. */
  connect(): Promise<void> {
    if (this.closed) return Promise.reject(new ClientClosedError('producer'));
    this.connecting ??= (async () => {
      await this.cluster.connect();
      if (this.idempotence) await this.idempotence.init(this.cluster);
      this.connected = true;
    })();
    this.connecting.catch(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  /** Sends one record; resolves when it is acknowledged (per `acks`). */
  send(record: ProducerRecord): Promise<RecordMetadata> {
    return this.whenReady(record.topic, () => {
      const partition = this.choosePartition(record.topic, record.key, record.partition);
      const q = this.acc.queue(record.topic, partition);
      const b = this.acc.append(q, record.key, record.value, record.timestamp, record.headers);
      this.partitioner.appended(record.topic, partition, b);
      this.sender.wake();
      return new Promise<RecordMetadata>((resolve, reject) => {
        b.completions.push(new RecordCompletion(record.topic, partition, b.recordCount - 1, resolve, reject));
      });
    });
  }

  /**
   * Sends records to one partition and resolves once for all of them, with the first one's
   * offset: the load generators' path. The records are encoded before this returns when the
   * producer is ready (the caller may reuse its objects; else they are encoded in call order once
   * it is), and the last batch is sealed at once rather than lingering.
   */
  sendBatch(topic: string, partition: number, records: readonly BatchRecord[]): Promise<BatchResult> {
    return this.whenReady(topic, () => {
      const count = this.cluster.topic(topic)!.partitions.length;
      if (!(partition >= 0 && partition < count))
        throw invalid(`topic ${topic} has no partition ${partition}`);
      if (records.length === 0)
        return Promise.resolve({ topic, partition, baseOffset: -1, count: 0, runs: [] });
      const q = this.acc.queue(topic, partition);
      let tracker!: CallTracker;
      const result = new Promise<BatchResult>((resolve, reject) => {
        tracker = new CallTracker(topic, partition, records.length, resolve, reject);
      });
      let last: ProducerBatch | null = null;
      for (let i = 0; i < records.length; i++) {
        const r = records[i];
        const b = this.acc.append(q, r.key, r.value, r.timestamp, r.headers);
        if (b !== last) {
          b.completions.push(tracker.part(b.recordCount - 1, i));
          last = b;
        }
      }
      this.acc.seal(q);
      this.sender.wake();
      return result;
    });
  }

  /** Resolves when every batch that exists now is settled (failures are the sends' to report). */
  async flush(): Promise<void> {
    await this.pumping;
    if (!this.connected) return;
    await this.sender.flush();
  }

  /** Flushes, then closes the connections. Sends after close() are rejected. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush().catch(() => {});
    this.closed = true;
    this.sender.close();
    for (const w of this.spaceWaiters.splice(0)) w();
    for (const b of this.backlog.splice(0)) b.fail(new ClientClosedError('producer'));
    await this.cluster.close();
  }

  /**
   * Runs `append` now when the producer can take the records (connected, topic known, buffer not
   * full, nobody queued before), else queues it behind the earlier calls. Either way appends
   * happen in call order, which is what keeps the order of concurrent sends to a partition.
   */
  private whenReady<T>(topic: string, append: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new ClientClosedError('producer'));
    if (
      this.backlog.length === 0 &&
      this.connected &&
      this.acc.bufferedBytes < this.bufferMemory &&
      this.cluster.topic(topic) !== undefined
    ) {
      try {
        return append();
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return new Promise<T>((resolve, reject) => {
      const run = () => {
        try {
          append().then(resolve, reject);
        } catch (err) {
          reject(err);
        }
      };
      this.backlog.push({ topic, run, fail: reject });
      if (this.backlog.length === 1) this.pumping = this.pump();
    });
  }

  /** Works through queued calls in order, waiting for connection, metadata and buffer space. */
  private async pump(): Promise<void> {
    while (this.backlog.length > 0) {
      const next = this.backlog[0];
      try {
        if (this.closed) throw new ClientClosedError('producer');
        if (!this.connected) await this.connect();
        if (this.cluster.topic(next.topic) === undefined) await this.cluster.ensureTopics([next.topic]);
        while (this.acc.bufferedBytes >= this.bufferMemory && !this.closed) {
          await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
        }
        if (this.closed) throw new ClientClosedError('producer');
        this.backlog.shift();
        next.run();
      } catch (err) {
        this.backlog.shift();
        next.fail(err as Error);
      }
    }
  }

  private releaseSpace(): void {
    while (this.spaceWaiters.length > 0 && this.acc.bufferedBytes < this.bufferMemory) {
      this.spaceWaiters.shift()!();
    }
  }

  /** Explicit partition, else the partitioner (murmur2 of the key, or sticky / round-robin). */
  choosePartition(topic: string, key: Bytes | null | undefined, partition: number | undefined): number {
    const meta = this.cluster.topic(topic);
    if (!meta) throw invalid(`no metadata for topic ${topic}`);
    const n = meta.partitions.length;
    if (partition !== undefined && partition !== null) {
      if (!(partition >= 0 && partition < n)) throw invalid(`topic ${topic} has no partition ${partition}`);
      return partition;
    }
    return this.partitioner.partition(topic, key, n, (p) => this.acc.queue(topic, p).open);
  }
}

function invalid(message: string): KafkaClientError {
  return new KafkaClientError('INVALID_ARGUMENT', message, false);
}
