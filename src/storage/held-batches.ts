/**
 * HeldBatches: the in-memory tail of a partition log under the `async:<ms>` flush policy:
 * batches that were assigned offsets and acknowledged but not yet written, and the timer that
 * writes and syncs them every <ms>. Nothing of it is on disk until then, which is the policy's
 * honest price: a process crash loses up to <ms> of acknowledged batches.
 *
 * Invariants: entries are consecutive in offset (an entry's base offset is the previous entry's
 * last offset + 1, and the first follows the last offset on disk); each entry is one append's
 * buffer of whole batches, never modified after it is held. Reads and timestamp lookups past the
 * disk's end are served from here. Once `maxBytes` are held the write starts early; if writing
 * fails (a full disk), appends are refused once `maxBytes` are held, so memory stays bounded.
 */
import type { Logger } from 'pino';
import {
  batchBaseOffset,
  batchLastOffsetDelta,
  batchMaxTimestamp,
  batchSize,
} from '../protocol/record-batch.js';
import { StorageError } from './errors.js';

/** What the log does with held batches: write them (dropping what landed), then sync. */
export interface HeldBatchesWriter {
  write(held: HeldBatches): void;
  sync(): Promise<void>;
}

export class HeldBatches {
  private buffers: Buffer[] = [];
  private baseOffsets: number[] = [];
  private lastOffsets: number[] = [];
  /** Bytes held. */
  bytes = 0;
  private readonly timer: NodeJS.Timeout;
  private running: Promise<void> | null = null;
  private writeError: StorageError | null = null;
  private stopped = false;

  constructor(
    intervalMs: number,
    private readonly maxBytes: number,
    private readonly writer: HeldBatchesWriter,
    private readonly logger: Logger,
  ) {
    this.timer = setInterval(() => void this.writeAndSync(), intervalMs);
    this.timer.unref();
  }

  get count(): number {
    return this.buffers.length;
  }

  /** First held offset, or -1 when nothing is held. */
  get baseOffset(): number {
    return this.count === 0 ? -1 : this.baseOffsets[0];
  }

  /** Holds one append; throws StorageError when earlier writes failed and the backlog is full. */
  hold(records: Buffer, baseOffset: number, lastOffset: number): void {
    if (this.writeError !== null && this.bytes >= this.maxBytes) {
      throw new StorageError(
        `cannot hold more unwritten batches: ${this.writeError.message}`,
        'KAFKA_STORAGE_ERROR',
        {
          cause: this.writeError,
        },
      );
    }
    this.buffers.push(records);
    this.baseOffsets.push(baseOffset);
    this.lastOffsets.push(lastOffset);
    this.bytes += records.length;
    if (this.bytes >= this.maxBytes && this.running === null) setImmediate(() => void this.writeAndSync());
  }

  /** The timer's work: write everything held, then sync it. One run at a time; errors are logged. */
  writeAndSync(): Promise<void> {
    if (this.running !== null) return this.running;
    if (this.stopped) return Promise.resolve();
    const run = async () => {
      try {
        this.writer.write(this);
        this.writeError = null;
      } catch (err) {
        this.writeError = err as StorageError;
        this.logger.error(
          { err: (err as Error).message, heldBytes: this.bytes },
          'could not write held batches; will retry',
        );
        return;
      }
      await this.writer.sync();
    };
    this.running = run()
      .catch(() => {})
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  /** Waits for a running write, then writes what is left now; throws if that write fails. */
  async writeNow(): Promise<void> {
    await this.running;
    this.writer.write(this);
  }

  /** No more timer runs; with `discard`, forgets what is held (a crash, or a deleted log). */
  stop(discard: boolean): void {
    this.stopped = true;
    clearInterval(this.timer);
    if (discard) this.drop(this.count);
  }

  bufferAt(i: number): Buffer {
    return this.buffers[i];
  }

  lastOffsetAt(i: number): number {
    return this.lastOffsets[i];
  }

  /** The first `n` buffers, for one vectored write. */
  take(n: number): Buffer[] {
    return this.buffers.slice(0, n);
  }

  /** Forgets the first `n` entries once they are written. */
  drop(n: number): void {
    for (let i = 0; i < n; i++) this.bytes -= this.buffers[i].length;
    this.buffers.splice(0, n);
    this.baseOffsets.splice(0, n);
    this.lastOffsets.splice(0, n);
  }

  /** Whole batches from the one containing `offset`, up to maxBytes but at least one batch. */
  read(offset: number, maxBytes: number): Buffer {
    let i = this.entryFor(offset);
    if (i < 0) return Buffer.alloc(0);
    const parts: Buffer[] = [];
    let total = 0;
    let p = 0;
    const first = this.buffers[i];
    while (batchBaseOffset(first, p) + batchLastOffsetDelta(first, p) < offset) p += batchSize(first, p);
    for (; i < this.count; i++, p = 0) {
      const buf = this.buffers[i];
      const start = p;
      while (p < buf.length) {
        const size = batchSize(buf, p);
        if (total > 0 && total + size > maxBytes) break;
        total += size;
        p += size;
      }
      if (p > start) parts.push(start === 0 && p === buf.length ? buf : buf.subarray(start, p));
      if (p < buf.length) break;
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts, total);
  }

  /** First held batch whose maxTimestamp >= `timestamp` (offset = its base offset). */
  findTimestamp(timestamp: number): { offset: number; timestamp: number } | null {
    for (const buf of this.buffers) {
      for (let p = 0; p < buf.length; p += batchSize(buf, p)) {
        const ts = batchMaxTimestamp(buf, p);
        if (ts >= timestamp) return { offset: batchBaseOffset(buf, p), timestamp: ts };
      }
    }
    return null;
  }

  /** Index of the entry holding `offset`, or -1. */
  private entryFor(offset: number): number {
    let lo = 0;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.lastOffsets[mid] < offset) lo = mid + 1;
      else if (this.baseOffsets[mid] > offset) hi = mid - 1;
      else return mid;
    }
    return -1;
  }
}
