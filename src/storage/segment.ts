/**
 * Segment: one `.log` file of record batches plus its indexes (segment-indexes.ts).
 *
 * On disk (`<20-digit base offset>.log`): RecordBatch v2 bytes back to back, verbatim as the
 * producer sent them except baseOffset (bytes 0..7, outside the CRC), which the log assigned.
 * Invariants:
 *  - batches are in offset order and every baseOffset >= the segment's baseOffset;
 *  - `size` is the length of the valid prefix of the file. Only a failed write leaves bytes past
 *    it; they are cut at once, else overwritten by the next positional write and cut at close
 *    (or by recovery after a crash);
 *  - positions and offsets relative to baseOffset fit in u32 (the log rolls before they would not).
 *
 * The segment is the mechanism: it writes where the log tells it, indexes what it wrote, reads,
 * syncs and deletes when asked; when to roll, flush or delete is the log's decision. Reads and
 * syncs hold a reference on the fd, so closing or deleting a segment under a running read waits
 * for the read instead of closing (and perhaps reusing) its fd.
 */
import fs from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import {
  BATCH_HEADER_SIZE,
  batchBaseOffset,
  batchLastOffsetDelta,
  batchMaxTimestamp,
  batchSize,
  LOG_OVERHEAD,
} from '../protocol/record-batch.js';
import { StorageError, storageIoError } from './errors.js';
import {
  INDEX_FILE_SUFFIX,
  LOG_FILE_SUFFIX,
  segmentFileName,
  TIME_INDEX_FILE_SUFFIX,
} from './log-file-names.js';
import { SegmentIndexes } from './segment-indexes.js';
import { readAt, type StorageIo, writeAll, writevAll } from './storage-io.js';

/** Header bytes a forward walk needs: through maxTimestamp (offset 35, 8 bytes). */
const WALK_HEADER_BYTES = 43;
/** Bytes read at a time when walking batch headers. */
const WALK_WINDOW = 16 * 1024;
const EMPTY = Buffer.alloc(0);

export interface TimestampMatch {
  offset: number;
  timestamp: number;
}

export class Segment {
  /** Length of the valid prefix of the .log. */
  size: number;
  /** lastOffset + 1 of the last batch, once known (after an append, a recovery or a tail walk). */
  nextOffset: number;
  /** Wall-clock time of the last write (file mtime when loaded); retention falls back to it. */
  lastModifiedMs: number;
  readonly indexes: SegmentIndexes;
  private refs = 0;
  private closed = false;
  private fdClosed = false;
  /** The batch at offset `hintOffset` starts at `hintPosition`: where the last read ended. */
  private hintOffset = -1;
  private hintPosition = 0;

  private constructor(
    readonly dir: string,
    readonly baseOffset: number,
    private readonly fd: number,
    size: number,
    /** When the segment started, for segment.ms: its creation, or its file's birth time. */
    readonly createdMs: number,
    lastModifiedMs: number,
    indexIntervalBytes: number,
    private readonly io: StorageIo,
  ) {
    this.size = size;
    this.nextOffset = baseOffset;
    this.lastModifiedMs = lastModifiedMs;
    this.indexes = new SegmentIndexes(
      baseOffset,
      indexIntervalBytes,
      path.join(dir, segmentFileName(baseOffset, INDEX_FILE_SUFFIX)),
      path.join(dir, segmentFileName(baseOffset, TIME_INDEX_FILE_SUFFIX)),
    );
  }

  /** Creates an empty segment (synchronously: a roll happens inside an append). */
  static create(
    dir: string,
    baseOffset: number,
    indexIntervalBytes: number,
    io: StorageIo,
    nowMs: number,
  ): Segment {
    const file = path.join(dir, segmentFileName(baseOffset, LOG_FILE_SUFFIX));
    let fd: number;
    try {
      fd = fs.openSync(file, 'w+');
    } catch (err) {
      throw storageIoError(err, 'creating segment', file);
    }
    return new Segment(dir, baseOffset, fd, 0, nowMs, nowMs, indexIntervalBytes, io);
  }

  /** Opens an existing segment's .log; the loader loads or rebuilds its indexes. */
  static open(dir: string, baseOffset: number, indexIntervalBytes: number, io: StorageIo): Segment {
    const file = path.join(dir, segmentFileName(baseOffset, LOG_FILE_SUFFIX));
    let fd = -1;
    try {
      fd = fs.openSync(file, 'r+');
      const st = fs.fstatSync(fd);
      const created = st.birthtimeMs > 0 ? st.birthtimeMs : st.mtimeMs;
      return new Segment(dir, baseOffset, fd, st.size, created, st.mtimeMs, indexIntervalBytes, io);
    } catch (err) {
      if (fd >= 0) fs.closeSync(fd);
      throw storageIoError(err, 'opening segment', file);
    }
  }

  get logPath(): string {
    return path.join(this.dir, segmentFileName(this.baseOffset, LOG_FILE_SUFFIX));
  }

  /** Largest batch maxTimestamp in the segment, -1 when none carries one. */
  get maxTimestamp(): number {
    return this.indexes.maxTimestamp;
  }

  /** Newest timestamp for retention: the largest batch timestamp, else the file's mtime. */
  get largestTimestamp(): number {
    return this.maxTimestamp > 0 ? this.maxTimestamp : this.lastModifiedMs;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Appends whole batches (offsets already assigned) with one positional write at the end of
   * the valid prefix. On failure the file is cut back and nothing about the segment changes.
   */
  append(records: Buffer, nowMs: number): void {
    const position = this.size;
    try {
      writeAll(this.io, this.fd, records, position);
    } catch (err) {
      throw storageIoError(err, 'appending to', this.logPath);
    }
    this.trackWritten(records, position);
    this.size = position + records.length;
    this.lastModifiedMs = nowMs;
  }

  /** Appends several buffers of whole batches with one pwritev (the async policy's timer). */
  appendMany(buffers: readonly Buffer[], nowMs: number): void {
    const position = this.size;
    let total: number;
    try {
      total = writevAll(this.io, this.fd, buffers, position);
    } catch (err) {
      throw storageIoError(err, 'appending to', this.logPath);
    }
    let at = position;
    for (const b of buffers) {
      this.trackWritten(b, at);
      at += b.length;
    }
    this.size = position + total;
    this.lastModifiedMs = nowMs;
  }

  private trackWritten(records: Buffer, position: number): void {
    for (let p = 0; p < records.length; ) {
      const size = batchSize(records, p);
      const base = batchBaseOffset(records, p);
      this.trackBatch(
        position + p,
        base,
        base + batchLastOffsetDelta(records, p),
        batchMaxTimestamp(records, p),
        size,
      );
      p += size;
    }
  }

  /** Books one batch that is in the file at `position` (appends, recovery and tail walks). */
  trackBatch(
    position: number,
    baseOffset: number,
    lastOffset: number,
    maxTimestamp: number,
    size: number,
  ): void {
    this.indexes.track(position, baseOffset, maxTimestamp, size);
    this.nextOffset = lastOffset + 1;
  }

  /** Forgets every batch past `position` (recovery): the file, the size and the read hint. */
  truncateTo(position: number): void {
    try {
      this.io.ftruncateSync(this.fd, position);
    } catch (err) {
      throw storageIoError(err, 'truncating', this.logPath);
    }
    this.size = position;
    this.hintOffset = -1;
  }

  /** Drops the indexes and batch bookkeeping before a rebuild from the log. */
  resetIndexes(): void {
    this.indexes.reset();
    this.nextOffset = this.baseOffset;
  }

  /** Cuts bytes a failed write may have left past `size`, so a clean start can trust the file size. */
  trimTail(): void {
    if (this.closed) return;
    try {
      if (fs.fstatSync(this.fd).size !== this.size) this.io.ftruncateSync(this.fd, this.size);
    } catch (err) {
      throw storageIoError(err, 'trimming', this.logPath);
    }
  }

  /** fdatasync of the .log: everything appended before the call is durable when it resolves. */
  async datasync(): Promise<void> {
    if (!this.acquire()) throw new SegmentClosedError(this.baseOffset);
    try {
      await this.io.fdatasync(this.fd);
    } catch (err) {
      throw storageIoError(err, 'fdatasync of', this.logPath);
    } finally {
      this.release();
    }
  }

  /** Data, then indexes: an index never points at bytes that are not durable. */
  async flush(): Promise<void> {
    if (this.closed) return;
    await this.datasync();
    await this.indexes.persist();
  }

  /**
   * Whole batches from the first one whose last offset >= `offset`, up to `maxBytes` but at least
   * that one batch; empty when no batch of this segment reaches `offset`.
   */
  async read(offset: number, maxBytes: number): Promise<Buffer> {
    const end = this.size;
    if (!this.acquire()) throw new SegmentClosedError(this.baseOffset);
    try {
      const start = await this.findBatchPosition(offset, end);
      if (start < 0) return EMPTY;
      const available = end - start;
      let buf = await this.readRange(start, Math.min(available, Math.max(maxBytes, BATCH_HEADER_SIZE)));
      const first = batchSize(buf, 0);
      if (first < BATCH_HEADER_SIZE || first > available)
        throw this.corrupt(start, `batch of ${first} bytes`);
      if (first > buf.length) buf = await this.readRange(start, first);
      let cut = 0;
      let last = 0;
      while (cut + LOG_OVERHEAD <= buf.length) {
        const size = batchSize(buf, cut);
        if (size < BATCH_HEADER_SIZE || cut + size > buf.length) break;
        last = cut;
        cut += size;
      }
      this.hintOffset = batchBaseOffset(buf, last) + batchLastOffsetDelta(buf, last) + 1;
      this.hintPosition = start + cut;
      return cut === buf.length ? buf : buf.subarray(0, cut);
    } finally {
      this.release();
    }
  }

  /** First batch whose maxTimestamp >= `timestamp`: time index floor, then a forward walk. */
  async findTimestamp(timestamp: number): Promise<TimestampMatch | null> {
    const end = this.size;
    if (!this.acquire()) throw new SegmentClosedError(this.baseOffset);
    try {
      const { offsetIndex, timeIndex } = this.indexes;
      let from = 0;
      const slot = timeIndex.floor(timestamp);
      if (slot >= 0) {
        const at = offsetIndex.floor(timeIndex.offsetAt(slot));
        if (at >= 0) from = offsetIndex.positionAt(at);
      }
      let match: TimestampMatch | null = null;
      await this.walk(from, end, (buf, p) => {
        const ts = batchMaxTimestamp(buf, p);
        if (ts < timestamp) return false;
        match = { offset: batchBaseOffset(buf, p), timestamp: ts };
        return true;
      });
      return match;
    } finally {
      this.release();
    }
  }

  /**
   * Position of the first batch whose last offset >= `offset`, or -1. Starts at the later of the
   * index floor and the previous read's end, and skips the walk when either lands exactly.
   */
  private async findBatchPosition(offset: number, end: number): Promise<number> {
    if (offset === this.hintOffset && this.hintPosition < end) return this.hintPosition;
    const index = this.indexes.offsetIndex;
    const slot = index.floor(offset);
    let from = slot < 0 ? 0 : index.positionAt(slot);
    if (slot >= 0 && index.offsetAt(slot) === offset) return from;
    // Every batch before the hint position ends below hintOffset, so a later target starts there.
    if (
      this.hintOffset >= 0 &&
      this.hintOffset <= offset &&
      this.hintPosition > from &&
      this.hintPosition <= end
    ) {
      from = this.hintPosition;
    }
    return this.walk(from, end, (buf, p) => batchBaseOffset(buf, p) + batchLastOffsetDelta(buf, p) >= offset);
  }

  /**
   * Visits batch headers from `from` to `end`, reading windows of the file; returns the position
   * at which `visit` returned true, or -1 at `end`. `visit` sees at least WALK_HEADER_BYTES of
   * the header at `buf[p]`, which is at `filePos` in the file. The caller holds a reference (the
   * read paths) or owns the segment outright (the loader, before the log exists).
   */
  async walk(
    from: number,
    end: number,
    visit: (buf: Buffer, p: number, filePos: number) => boolean,
  ): Promise<number> {
    let pos = from;
    let window: Buffer = EMPTY;
    let windowStart = 0;
    while (pos < end) {
      if (pos < windowStart || pos + WALK_HEADER_BYTES > windowStart + window.length) {
        const len = Math.min(WALK_WINDOW, end - pos);
        if (len < WALK_HEADER_BYTES) throw this.corrupt(pos, `${len} bytes left, less than a batch header`);
        window = await this.readRange(pos, len);
        windowStart = pos;
      }
      const p = pos - windowStart;
      if (visit(window, p, pos)) return pos;
      const size = batchSize(window, p);
      if (size < BATCH_HEADER_SIZE) throw this.corrupt(pos, `batch length ${size - LOG_OVERHEAD}`);
      pos += size;
    }
    return -1;
  }

  /** Exactly `length` bytes of the .log from `position`, which the caller knows are in the file. */
  async readRange(position: number, length: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(length);
    let done = 0;
    try {
      while (done < length) {
        const n = await readAt(this.fd, buf, done, length - done, position + done);
        if (n === 0) break;
        done += n;
      }
    } catch (err) {
      throw storageIoError(err, 'reading', this.logPath);
    }
    if (done < length) throw this.corrupt(position + done, 'the file ends before the size the log knows');
    return buf;
  }

  private corrupt(position: number, detail: string): StorageError {
    return new StorageError(`${this.logPath} at position ${position}: ${detail}`, 'KAFKA_STORAGE_ERROR');
  }

  private acquire(): boolean {
    if (this.closed) return false;
    this.refs++;
    return true;
  }

  private release(): void {
    this.refs--;
    if (this.closed && this.refs === 0) this.closeFd();
  }

  private closeFd(): void {
    if (this.fdClosed) return;
    this.fdClosed = true;
    try {
      fs.closeSync(this.fd);
    } catch {
      // Nothing useful to do: the segment is gone from the log either way.
    }
  }

  /** No new reads or syncs; the fd closes when the running ones finish. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.refs === 0) this.closeFd();
  }

  /** Closes and removes the files, .log first so a crash half-way leaves only orphan indexes. */
  async delete(): Promise<void> {
    this.close();
    for (const file of [this.logPath, this.indexes.indexPath, this.indexes.timeIndexPath]) {
      try {
        await rm(file, { force: true });
      } catch (err) {
        throw storageIoError(err, 'deleting', file);
      }
    }
  }
}

/** A read or sync reached a segment that retention or a close removed meanwhile. */
export class SegmentClosedError extends StorageError {
  override name = 'SegmentClosedError';
  constructor(readonly baseOffset: number) {
    super(`segment ${baseOffset} was closed`);
  }
}
