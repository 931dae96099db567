/**
 * PartitionLog: one partition: offset assignment, the flush policy's decisions, the recovery
 * point, reads, timestamp lookups, retention and the log's life cycle. Where batches go among
 * the segments is SegmentList's business; checking and repairing them at open is the loader's.
 *
 * On disk (`<data-dir>/topics/<topic>-<partition>/`): segments named by their 20-digit base
 * offset (segment.ts) and `recovery-point` (recovery-point.ts).
 *
 * Invariants:
 *  - offsets are assigned here, consecutively and synchronously in append(); logEndOffset is the
 *    next one and equals the high watermark (one replica, no transactions);
 *  - an append either lands whole (written, or held under async) and advances logEndOffset, or
 *    throws and changes nothing a reader can see;
 *  - the recovery point moves to a segment's base only after everything below it was synced,
 *    data and indexes;
 *  - an fsync failure takes the log offline (appends refuse) until a restart: after a failed
 *    fsync the state of the page cache is unknown, so nothing more may be acked.
 *
 * Flush decisions (the mechanisms are Segment.datasync/flush and GroupCommit):
 *  - sync: `durable` is the group commit's promise of an fdatasync that covers the append;
 *  - os: `durable` is resolved; the OS writes back;
 *  - async:<ms>: appends are held in memory (HeldBatches), `durable` is resolved, and a timer
 *    writes and syncs them every <ms> (earlier once maxHeldBytes pile up);
 *  - every policy: a rolled segment is synced in the background, then the recovery point moves.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import {
  BATCH_HEADER_SIZE,
  batchLastOffsetDelta,
  batchMaxTimestamp,
  batchSize,
  setBaseOffset,
} from '../protocol/record-batch.js';
import { fsyncDir } from './durable-files.js';
import {
  InvalidTopicError,
  isOutOfSpace,
  OffsetOutOfRangeError,
  StorageError,
  storageIoError,
} from './errors.js';
import { GroupCommit } from './group-commit.js';
import { HeldBatches } from './held-batches.js';
import { type LogConfig, validateLogConfig } from './log-config.js';
import { partitionDirName } from './log-file-names.js';
import { loadLog } from './log-loader.js';
import { MAX_RELATIVE_OFFSET } from './offset-index.js';
import { writeRecoveryPoint } from './recovery-point.js';
import { type Segment, SegmentClosedError } from './segment.js';
import { SegmentList } from './segment-list.js';
import { nodeIo, type StorageIo } from './storage-io.js';
import { validatePartition, validateTopicName } from './topic-name.js';

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
  /** Largest batch maxTimestamp in the append (-1 when none carries a timestamp). */
  maxTimestamp: number;
  /** Resolves when the append is as durable as the flush policy promises. */
  durable: Promise<void>;
}

export interface ReadResult {
  records: Buffer;
  highWatermark: number;
  logStartOffset: number;
}

export interface PartitionLogOptions {
  /** The data dir had a clean-shutdown marker: trust the indexes instead of re-validating. */
  cleanShutdown?: boolean;
  io?: StorageIo;
  /** async policy: write early once this many bytes are held (default 64 MiB). */
  maxHeldBytes?: number;
}

const RESOLVED = Promise.resolve();
const EMPTY = Buffer.alloc(0);

export class PartitionLog {
  private readonly segments: SegmentList;
  private nextOffset: number;
  private recoveryPoint: number;
  private readonly held: HeldBatches | null = null;
  private readonly groupCommit: GroupCommit | null = null;
  /** Segments written since their last sync (sync and async policies). */
  private unsynced: Segment[] = [];
  /** A segment file was created since the directory was last synced. */
  private dirDirty = true;
  /** Syncs of rolled segments, one after another, so the recovery point moves in order. */
  private background: Promise<void> = RESOLVED;
  private failure: StorageError | null = null;
  private closed = false;
  private abandoned = false;
  private retentionRunning = false;

  private constructor(
    readonly dir: string,
    readonly topic: string,
    readonly partition: number,
    readonly config: LogConfig,
    private readonly logger: Logger,
    segments: Segment[],
    recoveryPoint: number,
    io: StorageIo,
    maxHeldBytes: number,
  ) {
    this.segments = new SegmentList(dir, config, io, segments, (sealed, next) => this.onRoll(sealed, next));
    this.recoveryPoint = recoveryPoint;
    this.nextOffset = this.segments.active.nextOffset;
    const flush = config.flush;
    if (flush.kind === 'sync') this.groupCommit = new GroupCommit(() => this.syncUnsynced());
    if (flush.kind === 'async') {
      this.held = new HeldBatches(
        flush.intervalMs,
        maxHeldBytes,
        {
          write: (held) => this.segments.appendHeld(held, Date.now(), (seg) => this.markUnsynced(seg)),
          sync: () => this.syncUnsynced(),
        },
        logger,
      );
    }
  }

  /** Opens (creating if needed) `<topicsDir>/<topic>-<partition>` and recovers it. */
  static async open(
    topicsDir: string,
    topic: string,
    partition: number,
    config: LogConfig,
    logger: Logger,
    options: PartitionLogOptions = {},
  ): Promise<PartitionLog> {
    const reason = validateTopicName(topic) ?? validatePartition(partition);
    if (reason !== null) throw new InvalidTopicError(topic, reason);
    validateLogConfig(config);
    const dir = path.join(topicsDir, partitionDirName(topic, partition));
    const log = logger.child({ topic, partition });
    const io = options.io ?? nodeIo;
    try {
      await mkdir(dir);
      await fsyncDir(topicsDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
        throw storageIoError(err, 'creating partition dir', dir);
    }
    const loaded = await loadLog({
      dir,
      config,
      logger: log,
      cleanShutdown: options.cleanShutdown ?? false,
      io,
    });
    const maxHeld = options.maxHeldBytes ?? 64 * 1024 * 1024;
    return new PartitionLog(
      dir,
      topic,
      partition,
      config,
      log,
      loaded.segments,
      loaded.recoveryPoint,
      io,
      maxHeld,
    );
  }

  get logStartOffset(): number {
    return this.segments.first.baseOffset;
  }

  /** The offset the next append gets. */
  get logEndOffset(): number {
    return this.nextOffset;
  }

  get highWatermark(): number {
    return this.nextOffset;
  }

  /** Bytes in the log, held ones included. */
  get size(): number {
    return this.segments.bytes + (this.held?.bytes ?? 0);
  }

  /** Base offsets of the segments, oldest first (for tools and tests). */
  segmentBaseOffsets(): number[] {
    return this.segments.all.map((s) => s.baseOffset);
  }

  private get name(): string {
    return partitionDirName(this.topic, this.partition);
  }

  /**
   * Appends one or more whole, validated batches: rewrites their base offsets in place to the
   * next offsets, then writes them with one write (or holds them, under async). No copy: under
   * async the buffer itself is held until the timer writes it, so the caller must not reuse it.
   */
  append(records: Buffer): AppendResult {
    if (this.failure !== null) {
      throw new StorageError(
        `${this.name} is offline after an I/O failure: ${this.failure.message}`,
        'KAFKA_STORAGE_ERROR',
        {
          cause: this.failure,
        },
      );
    }
    if (this.closed) throw new StorageError(`${this.name} is closed`, 'NOT_LEADER_OR_FOLLOWER');
    const baseOffset = this.nextOffset;
    const length = records.length;
    let offset = baseOffset;
    let maxTimestamp = -1;
    for (let pos = 0; pos < length; ) {
      const size = length - pos >= BATCH_HEADER_SIZE ? batchSize(records, pos) : 0;
      if (size < BATCH_HEADER_SIZE || size > length - pos) {
        throw new StorageError(
          `${this.name}: append of ${length} bytes is not whole batches (at ${pos})`,
          'CORRUPT_MESSAGE',
        );
      }
      setBaseOffset(records, pos, offset);
      offset += batchLastOffsetDelta(records, pos) + 1;
      const ts = batchMaxTimestamp(records, pos);
      if (ts > maxTimestamp) maxTimestamp = ts;
      pos += size;
    }
    const lastOffset = offset - 1;
    if (length === 0) throw new StorageError(`${this.name}: empty append`, 'CORRUPT_MESSAGE');
    if (lastOffset - baseOffset > MAX_RELATIVE_OFFSET) {
      throw new StorageError(
        `${this.name}: one append may not span more than 2^32 offsets`,
        'INVALID_RECORD',
      );
    }
    if (this.held !== null) {
      this.held.hold(records, baseOffset, lastOffset);
    } else {
      const seg = this.segments.append(records, baseOffset, lastOffset, Date.now());
      if (this.groupCommit !== null) this.markUnsynced(seg);
    }
    this.nextOffset = offset;
    return { baseOffset, lastOffset, maxTimestamp, durable: this.groupCommit?.request() ?? RESOLVED };
  }

  private onRoll(sealed: Segment, next: Segment): void {
    this.dirDirty = true;
    this.background = this.background.then(() => this.syncRolled(sealed, next.baseOffset));
    this.logger.debug({ baseOffset: next.baseOffset, previousBytes: sealed.size }, 'rolled to a new segment');
  }

  /**
   * The data of a rolled segment is synced (a failure takes the log offline, see fail()); then
   * its indexes and the recovery point are written. Those two are bookkeeping: when the disk is
   * full they are skipped with a warning and the recovery point stays, so a crash re-validates
   * from it and rebuilds the indexes; appends resume as soon as there is room again.
   */
  private async syncRolled(sealed: Segment, upTo: number): Promise<void> {
    if (this.abandoned) return;
    try {
      // A segment retention already deleted needs no sync.
      if (!sealed.isClosed) await sealed.datasync();
      await fsyncDir(this.dir);
    } catch (err) {
      if (!this.abandoned) this.fail(err, 'syncing a rolled segment');
      return;
    }
    try {
      if (!sealed.isClosed) await sealed.indexes.persist();
      if (upTo > this.recoveryPoint && !this.abandoned) {
        await writeRecoveryPoint(this.dir, upTo);
        this.recoveryPoint = upTo;
      }
    } catch (err) {
      if (this.abandoned) return;
      if (!isOutOfSpace(err)) {
        this.fail(err, 'writing the indexes of a rolled segment');
        return;
      }
      this.logger.warn(
        { err: (err as Error).message, recoveryPoint: this.recoveryPoint },
        'out of space writing the indexes or recovery point of a rolled segment; its data is synced, the recovery point stays',
      );
    }
  }

  private markUnsynced(seg: Segment): void {
    if (this.unsynced[this.unsynced.length - 1] !== seg) this.unsynced.push(seg);
  }

  /** One sync of everything written since the last one: the group commit's and the timer's. */
  private async syncUnsynced(): Promise<void> {
    const segs = this.unsynced;
    this.unsynced = [];
    const dirDirty = this.dirDirty;
    this.dirDirty = false;
    try {
      if (dirDirty) await fsyncDir(this.dir);
      for (const seg of segs) {
        // A segment retention deleted needs no sync; one the log closed under us cannot get one.
        if (seg.isClosed && !this.segments.all.includes(seg)) continue;
        if (seg.isClosed) throw new StorageError(`${this.name} was closed before the append was synced`);
        await seg.datasync();
      }
    } catch (err) {
      // A deleted topic's log was let go on purpose: its waiters fail, the log is not "offline".
      if (this.abandoned) throw new StorageError(`${this.name} was deleted before the append was synced`);
      throw this.fail(err, 'fdatasync');
    }
  }

  private fail(err: unknown, action: string): StorageError {
    const error = err instanceof StorageError ? err : storageIoError(err, action, this.dir);
    if (this.failure === null) {
      this.failure = error;
      this.logger.error(
        { err: error.message },
        `${action} failed: the log refuses appends until the broker restarts`,
      );
    }
    return error;
  }

  /**
   * Whole batches from the one containing `fetchOffset`, up to maxBytes but at least one batch;
   * may stop at the end of a segment; empty at the log end. Throws OffsetOutOfRangeError outside
   * [logStartOffset, logEndOffset]. Held batches (async) are served from memory.
   */
  async read(fetchOffset: number, maxBytes: number): Promise<ReadResult> {
    if (this.closed) throw new StorageError(`${this.name} is closed`, 'NOT_LEADER_OR_FOLLOWER');
    if (fetchOffset < this.logStartOffset || fetchOffset > this.nextOffset)
      throw this.outOfRange(fetchOffset);
    let records: Buffer = EMPTY;
    const held = this.held;
    if (fetchOffset === this.nextOffset) {
      records = EMPTY;
    } else if (held !== null && held.count > 0 && fetchOffset >= held.baseOffset) {
      records = held.read(fetchOffset, maxBytes);
    } else {
      try {
        records = await this.segments.read(fetchOffset, maxBytes);
      } catch (err) {
        if (!(err instanceof SegmentClosedError)) throw err;
        if (this.closed)
          throw new StorageError(`${this.name} was closed during the read`, 'NOT_LEADER_OR_FOLLOWER');
        throw this.outOfRange(fetchOffset);
      }
    }
    // Taken after the read, so the batches returned never end past the high watermark returned.
    return { records, highWatermark: this.nextOffset, logStartOffset: this.logStartOffset };
  }

  private outOfRange(offset: number): OffsetOutOfRangeError {
    return new OffsetOutOfRangeError(offset, this.logStartOffset, this.nextOffset, this.name);
  }

  /**
   * The first batch whose maxTimestamp >= `timestamp` (batch granularity: its base offset and
   * its maxTimestamp), or null when there is none.
   */
  async offsetForTimestamp(timestamp: number): Promise<{ offset: number; timestamp: number } | null> {
    try {
      const match = await this.segments.findTimestamp(timestamp);
      if (match !== null) return match;
    } catch (err) {
      if (!(err instanceof SegmentClosedError)) throw err;
      if (this.closed)
        throw new StorageError(`${this.name} was closed during the lookup`, 'NOT_LEADER_OR_FOLLOWER');
      return this.offsetForTimestamp(timestamp);
    }
    return this.held?.findTimestamp(timestamp) ?? null;
  }

  /**
   * Deletes whole segments from the oldest, never the active one, while the log would still hold
   * retentionBytes without the oldest (Kafka's rule) or while the oldest one's newest timestamp
   * is more than retentionMs before `nowMs`. Returns how many segments were deleted.
   */
  async enforceRetention(nowMs: number): Promise<number> {
    if (this.retentionRunning || this.closed) return 0;
    this.retentionRunning = true;
    let deleted = 0;
    try {
      const { retentionBytes, retentionMs } = this.config;
      while (this.segments.all.length > 1) {
        const oldest = this.segments.first;
        const bySize = retentionBytes >= 0 && this.segments.bytes - oldest.size >= retentionBytes;
        const byTime = retentionMs >= 0 && nowMs - oldest.largestTimestamp > retentionMs;
        if (!bySize && !byTime) break;
        this.segments.removeOldest();
        this.logger.info(
          {
            baseOffset: oldest.baseOffset,
            bytes: oldest.size,
            reason: bySize ? 'retention.bytes' : 'retention.ms',
            logStartOffset: this.logStartOffset,
          },
          'deleted a segment past retention',
        );
        await oldest.delete();
        deleted++;
      }
    } finally {
      this.retentionRunning = false;
    }
    return deleted;
  }

  /** Writes anything held and syncs every segment written since its last sync, data and indexes. */
  async flush(): Promise<void> {
    if (this.closed) return;
    await this.flushEverything();
  }

  private async flushEverything(): Promise<void> {
    await this.held?.writeNow();
    await this.background;
    await this.groupCommit?.drain();
    const segs = new Set([...this.unsynced, this.segments.active]);
    this.unsynced = [];
    try {
      if (this.dirDirty) await fsyncDir(this.dir);
      this.dirDirty = false;
      for (const seg of segs) await seg.flush();
    } catch (err) {
      throw this.fail(err, 'flush');
    }
    if (this.failure !== null) throw this.failure;
  }

  /** Flushes, records the log end as the recovery point and closes the files. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.held?.stop(false);
    try {
      await this.flushEverything();
      const active = this.segments.active;
      active.indexes.seal();
      active.trimTail();
      await active.indexes.persist();
      await writeRecoveryPoint(this.dir, this.nextOffset);
      this.recoveryPoint = this.nextOffset;
    } catch (err) {
      throw err instanceof StorageError ? err : storageIoError(err, 'closing', this.dir);
    } finally {
      this.segments.close();
    }
  }

  /**
   * Lets go of the files and timers without writing or syncing anything: what a crash leaves
   * (held batches are lost, syncs not yet started fail). For deleting the log, and for tests.
   */
  abandon(): void {
    this.closed = true;
    this.abandoned = true;
    this.held?.stop(true);
    this.segments.close();
  }

  /** Abandons the log and removes its directory. */
  async delete(): Promise<void> {
    this.abandon();
    await this.background; // a rolled segment's sync may be writing the recovery point
    try {
      await rm(this.dir, { recursive: true, force: true, maxRetries: 3 });
    } catch (err) {
      throw storageIoError(err, 'removing', this.dir);
    }
  }
}
