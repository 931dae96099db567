/**
 * ProducerStateManager: idempotent producers. Hands out producer ids (InitProducerId), and
 * decides for each produced batch whether to append it, answer it as a duplicate of a batch
 * already appended, or refuse it (sequence.ts has the rules).
 *
 * Durability: producer ids are durable before they are returned (producer-ids.ts). The
 * per-partition state lives in memory and in a snapshot (snapshot.ts) written on close and
 * every snapshotIntervalMs. After an unclean stop the snapshot is older than the logs, so the
 * broker replays the batch headers past each partition's covered offset (recoverPartition);
 * a partition nobody replays drops its stale state at its first produce and accepts the
 * producers' sequences as they come (the Kafka >= 2.5 treatment of unknown producers).
 *
 * Call order for a produced batch (synchronously, before any await, so that pipelined batches
 * of one partition are checked against each other): check(); if 'append', append to the log and
 * call onAppend() with the assigned base offset. onAppend() should be called for every batch,
 * idempotent or not: it also advances the partition's covered offset.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../log.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { BatchHeader } from '../../protocol/record-batch.js';
import { readChecksummedJson, writeChecksummedJson } from './checksummed-json.js';
import { ProducerIdAllocator } from './producer-ids.js';
import { checkSequence, isIdempotent, recordAppend, type SequenceCheck } from './sequence.js';
import {
  decodeSnapshot,
  encodeSnapshot,
  type PartitionProducers,
  type ProducerRecord,
  SNAPSHOT_FILE,
} from './snapshot.js';

export const PRODUCERS_DIR = 'producers';
/** Not in the shared error table: InitProducerId names an id this broker never issued. */
export const INVALID_PRODUCER_ID_MAPPING = 49;
/** Epochs are int16; Kafka moves to a new producer id before the last one. */
const MAX_EPOCH = 32766;

export interface ProducerStateOptions {
  /** Snapshot period (0 = only on close). */
  snapshotIntervalMs?: number;
  /** Producers with no append (or InitProducerId) for this long are forgotten (Kafka's producer.id.expiration.ms). */
  producerIdExpirationMs?: number;
  now?: () => number;
  idBlockSize?: number;
}

export interface InitProducerIdResult {
  errorCode: number;
  producerId: number;
  producerEpoch: number;
}

export interface LoggedBatch {
  h: BatchHeader;
  baseOffset: number;
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export class ProducerStateManager {
  private readonly producers = new Map<number, ProducerRecord>();
  private readonly partitions = new Map<string, PartitionProducers>();
  private readonly ids: ProducerIdAllocator;
  private readonly now: () => number;
  private readonly snapshotIntervalMs: number;
  private readonly expirationMs: number;
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    readonly dataDir: string,
    private readonly log: Logger,
    opts: ProducerStateOptions = {},
  ) {
    this.ids = new ProducerIdAllocator(this.dir, opts.idBlockSize);
    this.now = opts.now ?? Date.now;
    this.snapshotIntervalMs = opts.snapshotIntervalMs ?? 30_000;
    this.expirationMs = opts.producerIdExpirationMs ?? 86_400_000;
  }

  get dir(): string {
    return path.join(this.dataDir, PRODUCERS_DIR);
  }

  get snapshotFile(): string {
    return path.join(this.dir, SNAPSHOT_FILE);
  }

  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const read = await readChecksummedJson(this.snapshotFile);
    let clean = true;
    if (read.kind === 'invalid') {
      this.log.warn(
        { file: this.snapshotFile, reason: read.reason },
        'producer-state snapshot unreadable; starting without it',
      );
    } else if (read.kind === 'ok') {
      try {
        const snap = decodeSnapshot(read.value);
        clean = snap.clean;
        for (const [id, p] of snap.producers) this.producers.set(id, p);
        for (const p of snap.partitions) this.partitions.set(key(p.topic, p.partition), p);
      } catch (err) {
        this.log.warn(
          { file: this.snapshotFile, err: (err as Error).message },
          'producer-state snapshot invalid; ignored',
        );
      }
    }
    let maxId = -1;
    for (const id of this.producers.keys()) maxId = Math.max(maxId, id);
    for (const p of this.partitions.values()) for (const id of p.entries.keys()) maxId = Math.max(maxId, id);
    await this.ids.open(maxId + 1);
    this.expire();
    this.log.info(
      { producers: this.producers.size, partitions: this.partitions.size, cleanSnapshot: clean },
      'producer state loaded',
    );
    // From now on the logs may move past the snapshot: say so on disk before any append.
    await this.writeSnapshot(false);
    if (this.snapshotIntervalMs > 0) {
      this.timer = setInterval(() => void this.snapshot(), this.snapshotIntervalMs);
      this.timer.unref();
    }
  }

  /** Writes the final (clean) snapshot. Call after the last append. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.writing;
    this.expire();
    await this.writeSnapshot(true);
  }

  /**
   * InitProducerId without a transactional id. No producer id: a new one, epoch 0. With the id
   * and epoch the producer holds (v3+, after a sequence error): the epoch is bumped, and the
   * producer restarts its sequences at 0. A retry of that bump gets the same answer; an older
   * epoch is fenced (PRODUCER_FENCED; the handler maps it for versions below 4).
   */
  async initProducerId(producerId = -1, producerEpoch = -1): Promise<InitProducerIdResult> {
    if (this.closed)
      return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, producerId: -1, producerEpoch: -1 };
    if (producerId === -1 && producerEpoch === -1) return this.newProducer();
    if (producerId < 0 || producerEpoch < 0 || producerId >= this.ids.issuedBelow) {
      return { errorCode: INVALID_PRODUCER_ID_MAPPING, producerId: -1, producerEpoch: -1 };
    }
    const known = this.producers.get(producerId);
    if (known && producerEpoch === known.prevEpoch && known.epoch === producerEpoch + 1) {
      return { errorCode: ErrorCode.NONE, producerId, producerEpoch: known.epoch };
    }
    if (known && producerEpoch < known.epoch) {
      return { errorCode: ErrorCode.PRODUCER_FENCED, producerId: -1, producerEpoch: -1 };
    }
    if (producerEpoch + 1 > MAX_EPOCH) return this.newProducer();
    this.producers.set(producerId, {
      epoch: producerEpoch + 1,
      prevEpoch: producerEpoch,
      lastSeenMs: this.now(),
    });
    return { errorCode: ErrorCode.NONE, producerId, producerEpoch: producerEpoch + 1 };
  }

  private async newProducer(): Promise<InitProducerIdResult> {
    const producerId = await this.ids.allocate();
    this.producers.set(producerId, { epoch: 0, prevEpoch: -1, lastSeenMs: this.now() });
    return { errorCode: ErrorCode.NONE, producerId, producerEpoch: 0 };
  }

  /** What to do with a batch about to be appended to topic-partition. Synchronous. */
  check(topic: string, partition: number, h: BatchHeader): SequenceCheck {
    if (!isIdempotent(h)) return { kind: 'append' };
    // InitProducerId moved the producer to a newer epoch: a batch of an older one comes from a
    // fenced instance, on every partition, including those the new epoch has not written to yet.
    const rec = this.producers.get(h.producerId);
    if (rec && h.producerEpoch < rec.epoch) return { kind: 'error', code: ErrorCode.INVALID_PRODUCER_EPOCH };
    const p = this.partitions.get(key(topic, partition));
    if (p?.unverified) this.forgetUnverified(p);
    return checkSequence(p?.entries.get(h.producerId), h);
  }

  /** Records a batch appended at baseOffset. Synchronous. */
  onAppend(topic: string, partition: number, h: BatchHeader, baseOffset: number): void {
    const p = this.partition(topic, partition);
    if (p.unverified) this.forgetUnverified(p);
    this.apply(p, h, baseOffset);
  }

  /** The offset from which the partition's log must be replayed into the state after open(). */
  coveredOffset(topic: string, partition: number): number {
    return this.partitions.get(key(topic, partition))?.coveredOffset ?? 0;
  }

  /**
   * Brings a partition's state in line with its log after open(): forgets batches the log no
   * longer has (an async-flushed tail lost in a crash), then replays the batch headers from the
   * covered offset to the log end. `scan(from)` yields the log's batches whose last offset is
   * >= from, in offset order.
   */
  recoverPartition(
    topic: string,
    partition: number,
    logEndOffset: number,
    scan: (fromOffset: number) => Iterable<LoggedBatch>,
  ): void {
    const covered = this.coveredOffset(topic, partition);
    if (logEndOffset < covered) this.truncateTo(topic, partition, logEndOffset);
    const from = Math.min(covered, logEndOffset);
    if (from < logEndOffset) this.rebuildFrom(topic, partition, scan(from));
    const p = this.partition(topic, partition);
    p.coveredOffset = logEndOffset;
    p.unverified = false;
  }

  /** Replays logged batches (in offset order) into the state; batches already known are skipped. */
  rebuildFrom(topic: string, partition: number, batches: Iterable<LoggedBatch>): void {
    const p = this.partition(topic, partition);
    p.unverified = false;
    for (const { h, baseOffset } of batches) {
      const last = isIdempotent(h) ? p.entries.get(h.producerId)?.batches.at(-1) : undefined;
      if (last && baseOffset <= last.lastOffset) continue;
      this.apply(p, h, baseOffset);
    }
  }

  /** Forgets what the partition's log no longer holds (offsets >= logEndOffset). */
  truncateTo(topic: string, partition: number, logEndOffset: number): void {
    const p = this.partitions.get(key(topic, partition));
    if (!p) return;
    for (const [id, e] of p.entries) {
      e.batches = e.batches.filter((b) => b.lastOffset < logEndOffset);
      if (e.batches.length === 0) p.entries.delete(id);
    }
    p.coveredOffset = Math.min(p.coveredOffset, logEndOffset);
  }

  /** A deleted topic's state must not apply to a topic later created with the same name. */
  dropTopic(topic: string): void {
    for (const [k, p] of this.partitions) if (p.topic === topic) this.partitions.delete(k);
  }

  /** Writes a (not clean) snapshot now; concurrent calls are serialised. */
  snapshot(): Promise<void> {
    if (this.closed) return this.writing;
    this.expire();
    return this.writeSnapshot(false);
  }

  private apply(p: PartitionProducers, h: BatchHeader, baseOffset: number): void {
    p.coveredOffset = Math.max(p.coveredOffset, baseOffset + h.lastOffsetDelta + 1);
    if (!isIdempotent(h)) return;
    const now = this.now();
    p.entries.set(h.producerId, recordAppend(p.entries.get(h.producerId), h, baseOffset, now));
    const rec = this.producers.get(h.producerId);
    if (!rec || rec.epoch < h.producerEpoch) {
      this.producers.set(h.producerId, {
        epoch: h.producerEpoch,
        prevEpoch: rec?.prevEpoch ?? -1,
        lastSeenMs: now,
      });
    } else {
      rec.lastSeenMs = now;
    }
  }

  private partition(topic: string, partition: number): PartitionProducers {
    const k = key(topic, partition);
    let p = this.partitions.get(k);
    if (!p) {
      p = { topic, partition, coveredOffset: 0, entries: new Map(), unverified: false };
      this.partitions.set(k, p);
    }
    return p;
  }

  private forgetUnverified(p: PartitionProducers): void {
    this.log.warn(
      { topic: p.topic, partition: p.partition, producers: p.entries.size },
      'producer state of this partition was not rebuilt from its log after an unclean stop; dropped, sequences accepted as they come',
    );
    p.entries.clear();
    p.unverified = false;
  }

  private expire(): void {
    const cutoff = this.now() - this.expirationMs;
    for (const [id, rec] of this.producers) if (rec.lastSeenMs < cutoff) this.producers.delete(id);
    for (const p of this.partitions.values()) {
      for (const [id, e] of p.entries) if (e.lastAppendMs < cutoff) p.entries.delete(id);
    }
  }

  private writeSnapshot(clean: boolean): Promise<void> {
    const next = this.writing.then(async () => {
      const doc = encodeSnapshot(clean, this.producers, this.partitions.values());
      try {
        await writeChecksummedJson(this.snapshotFile, doc);
      } catch (err) {
        this.log.error(
          { err: (err as Error).message, file: this.snapshotFile },
          'producer-state snapshot failed',
        );
        if (clean) throw err;
      }
    });
    this.writing = next.catch(() => {});
    return next;
  }
}
