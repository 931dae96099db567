/**
 * Committed offsets: the latest per (group, topic, partition) in memory, made durable in the
 * offsets log (format in offset-log.ts) according to the broker's flush policy:
 * - `sync`: a commit resolves after its record is written and fdatasync'd. Commits that arrive
 *   while a write is in progress share the next write and fdatasync (group commit).
 * - `os`: a commit resolves once written to the page cache.
 * - `async:<ms>`: a commit is applied and resolves at once; records are written and fdatasync'd
 *   every <ms> (a process crash loses up to <ms> of commits).
 * In sync and os modes the in-memory state changes only after the write succeeded, so a failed
 * write fails its commits and leaves no trace.
 *
 * Invariants:
 * - One writer: appends and compaction run one at a time, in commit order (`drain`).
 * - `fileSize` is the end of the last fully written record; a failed append is truncated back to it.
 * - The log is compacted (rewritten with one record per live key, tombstones dropped, atomically by rename) when it
 *   holds more than compactFactor x live records, on open and after appends.
 */
import { constants, type FileHandle, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../log.js';
import { fsyncDir } from '../../storage/durable-files.js';
import type { FlushPolicy } from '../../storage/flush-policy.js';
import { type CommittedOffset, encodeOffsetRecords, type OffsetRecord, scanOffsetLog } from './offset-log.js';

/** The broker's flush policy (storage's FlushPolicy), applied to committed offsets. */
export type OffsetFlushPolicy = FlushPolicy;

export interface OffsetStoreOptions {
  /** Compact when the log holds more than this many records per live key. */
  compactFactor?: number;
  /** ...and at least this many records. */
  compactMinRecords?: number;
  /** How the log is fdatasync'd; tests count calls through it. */
  datasync?: (fh: FileHandle) => Promise<void>;
}

export class OffsetStoreClosedError extends Error {
  override name = 'OffsetStoreClosedError';
}

export class OffsetStoreWriteError extends Error {
  override name = 'OffsetStoreWriteError';
}

export const OFFSETS_LOG_FILE = 'offsets.log';

interface Batch {
  bufs: Buffer[];
  records: OffsetRecord[];
  waiters: { resolve: () => void; reject: (err: Error) => void }[];
}

const emptyBatch = (): Batch => ({ bufs: [], records: [], waiters: [] });

type TopicOffsets = Map<string, Map<number, CommittedOffset>>;

export class OffsetStore {
  private readonly offsets = new Map<string, TopicOffsets>();
  private live = 0;
  private fileRecords = 0;
  private fileSize = 0;
  private fh: FileHandle | null = null;
  private pending = emptyBatch();
  private pendingRecords = 0;
  private draining: Promise<void> | null = null;
  private scheduled = false;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private broken: Error | null = null;
  private readonly compactFactor: number;
  private readonly compactMinRecords: number;
  private readonly datasync: (fh: FileHandle) => Promise<void>;

  constructor(
    private readonly dir: string,
    private readonly flush: OffsetFlushPolicy,
    private readonly log: Logger,
    opts: OffsetStoreOptions = {},
  ) {
    this.compactFactor = opts.compactFactor ?? 4;
    this.compactMinRecords = opts.compactMinRecords ?? 1000;
    this.datasync = opts.datasync ?? ((fh) => fh.datasync());
  }

  get file(): string {
    return path.join(this.dir, OFFSETS_LOG_FILE);
  }

  /** Replays the log (cutting an invalid tail), compacts it if due, starts the async flusher. */
  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await rm(`${this.file}.tmp`, { force: true });
    let image: Buffer = Buffer.alloc(0);
    try {
      image = await readFile(this.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const scan = scanOffsetLog(image);
    for (const rec of scan.records) this.apply(rec);
    this.fileRecords = scan.records.length;
    this.fh = await open(this.file, constants.O_RDWR | constants.O_CREAT);
    if (scan.invalidReason !== null) {
      this.log.warn(
        {
          file: this.file,
          keptBytes: scan.validBytes,
          cutBytes: image.length - scan.validBytes,
          reason: scan.invalidReason,
        },
        'offsets log: cut an invalid tail (a crash mid-append); commits in it were never acknowledged under sync',
      );
      await this.fh.truncate(scan.validBytes);
      await this.fh.datasync();
    }
    await fsyncDir(this.dir);
    this.fileSize = scan.validBytes;
    this.log.info(
      { groups: this.offsets.size, offsets: this.live, records: this.fileRecords },
      'committed offsets loaded',
    );
    if (this.needsCompaction()) await this.compact();
    if (this.flush.kind === 'async') {
      this.timer = setInterval(() => this.kick(), this.flush.intervalMs);
      this.timer.unref();
    }
  }

  /** Records commits; resolves when they are as durable as the flush policy promises. */
  commit(records: OffsetRecord[]): Promise<void> {
    if (this.closed) return Promise.reject(new OffsetStoreClosedError('offset store is closed'));
    if (this.broken) return Promise.reject(this.broken);
    if (records.length === 0) return Promise.resolve();
    const buf = encodeOffsetRecords(records);
    this.pending.bufs.push(buf);
    this.pendingRecords += records.length;
    if (this.flush.kind === 'async') {
      for (const rec of records) this.apply(rec);
      return Promise.resolve();
    }
    this.pending.records.push(...records);
    return new Promise((resolve, reject) => {
      this.pending.waiters.push({ resolve, reject });
      this.schedule();
    });
  }

  /** Forgets every group's offsets for a deleted topic (tombstones, durable like commits). */
  deleteTopic(topic: string, now = Date.now()): Promise<void> {
    const tombstones: OffsetRecord[] = [];
    for (const [group, topics] of this.offsets) {
      for (const partition of topics.get(topic)?.keys() ?? []) {
        tombstones.push({
          group,
          topic,
          partition,
          offset: -1,
          leaderEpoch: -1,
          metadata: null,
          commitTimestamp: now,
          deleted: true,
        });
      }
    }
    return this.commit(tombstones);
  }

  get(group: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.offsets.get(group)?.get(topic)?.get(partition);
  }

  /** Every committed offset of a group, by topic and partition. */
  groupOffsets(group: string): ReadonlyMap<string, ReadonlyMap<number, CommittedOffset>> | undefined {
    return this.offsets.get(group);
  }

  hasOffsets(group: string): boolean {
    return this.offsets.has(group);
  }

  groupIds(): string[] {
    return [...this.offsets.keys()];
  }

  /** Writes what is pending, fdatasyncs (in every mode: a clean stop leaves nothing behind), closes. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.draining;
    if (this.pending.bufs.length > 0) {
      this.kick();
      await this.draining;
    }
    if (this.fh) {
      if (this.flush.kind === 'os' && !this.broken) await this.datasync(this.fh).catch(() => {});
      await this.fh.close();
      this.fh = null;
    }
  }

  private apply(rec: OffsetRecord): void {
    if (rec.deleted) {
      this.remove(rec.group, rec.topic, rec.partition);
      return;
    }
    let topics = this.offsets.get(rec.group);
    if (!topics) {
      topics = new Map();
      this.offsets.set(rec.group, topics);
    }
    let partitions = topics.get(rec.topic);
    if (!partitions) {
      partitions = new Map();
      topics.set(rec.topic, partitions);
    }
    if (!partitions.has(rec.partition)) this.live++;
    partitions.set(rec.partition, {
      offset: rec.offset,
      leaderEpoch: rec.leaderEpoch,
      metadata: rec.metadata,
      commitTimestamp: rec.commitTimestamp,
    });
  }

  /** Invariant: no empty maps are kept, so a group with no offsets left is not listed. */
  private remove(group: string, topic: string, partition: number): void {
    const topics = this.offsets.get(group);
    const partitions = topics?.get(topic);
    if (!topics || !partitions?.delete(partition)) return;
    this.live--;
    if (partitions.size === 0) topics.delete(topic);
    if (topics.size === 0) this.offsets.delete(group);
  }

  /** Commits made in the same tick (one socket read) go out in one write and one fdatasync. */
  private schedule(): void {
    if (this.scheduled || this.draining) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.kick();
    });
  }

  private kick(): void {
    if (this.draining) return;
    this.draining = this.drain().finally(() => {
      this.draining = null;
      // Commits that arrived after the last loop turn but before this callback still wait.
      if (this.pending.waiters.length > 0) this.kick();
    });
  }

  private async drain(): Promise<void> {
    while (this.pending.bufs.length > 0 && this.fh) {
      const batch = this.pending;
      const count = this.pendingRecords;
      this.pending = emptyBatch();
      this.pendingRecords = 0;
      const buf = batch.bufs.length === 1 ? batch.bufs[0] : Buffer.concat(batch.bufs);
      try {
        if (this.broken) throw this.broken;
        await this.append(buf);
        if (this.flush.kind !== 'os') await this.datasync(this.fh);
      } catch (err) {
        await this.rollback();
        const error = new OffsetStoreWriteError(`offsets log write failed: ${(err as Error).message}`, {
          cause: err,
        });
        this.log.error({ err: (err as Error).message, records: count }, 'offsets log write failed');
        for (const w of batch.waiters) w.reject(error);
        continue;
      }
      this.fileSize += buf.length;
      this.fileRecords += count;
      for (const rec of batch.records) this.apply(rec);
      for (const w of batch.waiters) w.resolve();
      if (this.needsCompaction()) {
        await this.compact().catch((err) =>
          this.log.error({ err: (err as Error).message }, 'offsets log compaction failed'),
        );
      }
    }
  }

  private async append(buf: Buffer): Promise<void> {
    let done = 0;
    while (done < buf.length) {
      const { bytesWritten } = await this.fh!.write(buf, done, buf.length - done, this.fileSize + done);
      done += bytesWritten;
    }
  }

  /** Cuts a partly written append so the next one starts on a record boundary. */
  private async rollback(): Promise<void> {
    try {
      await this.fh?.truncate(this.fileSize);
    } catch (err) {
      this.broken = new OffsetStoreWriteError(`offsets log is unusable: ${(err as Error).message}`, {
        cause: err,
      });
      this.log.error(
        { err: (err as Error).message },
        'offsets log could not be truncated after a failed write; commits now fail',
      );
    }
  }

  private needsCompaction(): boolean {
    return this.fileRecords > Math.max(this.compactMinRecords, this.compactFactor * this.live);
  }

  /** Rewrites the log as one record per live key: temp file, fdatasync, rename, fsync the dir. */
  private async compact(): Promise<void> {
    const records: OffsetRecord[] = [];
    for (const [group, topics] of this.offsets) {
      for (const [topic, partitions] of topics) {
        for (const [partition, c] of partitions) records.push({ group, topic, partition, ...c });
      }
    }
    const image = encodeOffsetRecords(records);
    const tmp = `${this.file}.tmp`;
    const out = await open(tmp, 'w');
    try {
      await out.writeFile(image);
      await out.datasync();
    } finally {
      await out.close();
    }
    await rename(tmp, this.file);
    await fsyncDir(this.dir);
    const before = this.fileRecords;
    await this.fh?.close();
    this.fh = null;
    try {
      this.fh = await open(this.file, constants.O_RDWR);
    } catch (err) {
      this.broken = new OffsetStoreWriteError(`offsets log could not be reopened: ${(err as Error).message}`);
      throw err;
    }
    this.fileSize = image.length;
    this.fileRecords = records.length;
    this.log.info({ before, after: records.length }, 'offsets log compacted');
  }
}
