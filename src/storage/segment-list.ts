/**
 * SegmentList: the segments of one partition log, oldest first, and where batches go and are
 * found among them (Kafka's LogSegments plus the placing and finding parts of LocalLog).
 *
 * Invariants: never empty; base offsets strictly increase; only the last (active) segment is
 * written; every batch of a segment lies below the next segment's base offset. The array is
 * replaced, never mutated, on a roll or a deletion, so a read walking a snapshot across awaits
 * never sees it shift.
 *
 * Roll rule: a non-empty active segment rolls before an append would take it past segmentBytes,
 * once it is segmentMs old, or before an offset would overflow its u32 relative offsets. An
 * empty one takes any append, so a batch larger than segmentBytes gets a segment of its own.
 */
import type { HeldBatches } from './held-batches.js';
import type { LogConfig } from './log-config.js';
import { MAX_RELATIVE_OFFSET } from './offset-index.js';
import { Segment, type TimestampMatch } from './segment.js';
import type { StorageIo } from './storage-io.js';

const EMPTY = Buffer.alloc(0);

export class SegmentList {
  private list: readonly Segment[];
  /** Bytes in all segments. */
  bytes = 0;

  constructor(
    readonly dir: string,
    private readonly config: LogConfig,
    private readonly io: StorageIo,
    segments: Segment[],
    /** Told about every roll: the segment that stopped being active and the new one. */
    private readonly onRoll: (sealed: Segment, next: Segment) => void,
  ) {
    this.list = segments;
    for (const s of segments) this.bytes += s.size;
  }

  get all(): readonly Segment[] {
    return this.list;
  }

  get first(): Segment {
    return this.list[0];
  }

  get active(): Segment {
    return this.list[this.list.length - 1];
  }

  /** Writes one append (offsets assigned) to the active segment, rolling first if due. */
  append(records: Buffer, baseOffset: number, lastOffset: number, now: number): Segment {
    let seg = this.active;
    if (this.shouldRoll(seg, records.length, lastOffset, now)) seg = this.roll(baseOffset, now);
    seg.append(records, now);
    this.bytes += records.length;
    return seg;
  }

  /**
   * Writes everything held, rolling as due, with one pwritev per segment, dropping entries from
   * `held` as they land; calls `written` for each segment written. Throws (leaving the unwritten
   * entries held) when a write fails.
   */
  appendHeld(held: HeldBatches, now: number, written: (seg: Segment) => void): void {
    while (held.count > 0) {
      let seg = this.active;
      if (this.shouldRoll(seg, held.bufferAt(0).length, held.lastOffsetAt(0), now))
        seg = this.roll(held.baseOffset, now);
      let n = 1;
      let bytes = held.bufferAt(0).length;
      while (
        n < held.count &&
        seg.size + bytes + held.bufferAt(n).length <= this.config.segmentBytes &&
        held.lastOffsetAt(n) - seg.baseOffset <= MAX_RELATIVE_OFFSET
      ) {
        bytes += held.bufferAt(n).length;
        n++;
      }
      seg.appendMany(held.take(n), now);
      held.drop(n);
      this.bytes += bytes;
      written(seg);
    }
  }

  private shouldRoll(seg: Segment, bytes: number, lastOffset: number, now: number): boolean {
    if (seg.size === 0) return false;
    return (
      seg.size + bytes > this.config.segmentBytes ||
      now - seg.createdMs >= this.config.segmentMs ||
      lastOffset - seg.baseOffset > MAX_RELATIVE_OFFSET
    );
  }

  private roll(baseOffset: number, now: number): Segment {
    const sealed = this.active;
    const next = Segment.create(this.dir, baseOffset, this.config.indexIntervalBytes, this.io, now);
    sealed.indexes.seal();
    this.list = [...this.list, next];
    this.onRoll(sealed, next);
    return next;
  }

  /**
   * Batches from the one containing `offset` (see Segment.read), from the first segment that has
   * any; empty when none does. Throws SegmentClosedError if retention or a close removed a
   * segment during the read.
   */
  async read(offset: number, maxBytes: number): Promise<Buffer> {
    const segs = this.list;
    for (let i = floorSegment(segs, offset); i < segs.length; i++) {
      const records = await segs[i].read(offset, maxBytes);
      if (records.length > 0) return records;
    }
    return EMPTY;
  }

  /** First batch with maxTimestamp >= `timestamp`, skipping segments whose newest is older. */
  async findTimestamp(timestamp: number): Promise<TimestampMatch | null> {
    for (const seg of this.list) {
      if (seg.maxTimestamp < timestamp) continue;
      const match = await seg.findTimestamp(timestamp);
      if (match !== null) return match;
    }
    return null;
  }

  /** Takes the oldest segment out of the list (never the active one); the caller deletes it. */
  removeOldest(): Segment {
    if (this.list.length < 2) throw new Error('the active segment is never removed');
    const oldest = this.list[0];
    this.list = this.list.slice(1);
    this.bytes -= oldest.size;
    return oldest;
  }

  close(): void {
    for (const seg of this.list) seg.close();
  }
}

/** Index of the last segment whose base offset is <= offset (0 when none is). */
function floorSegment(segments: readonly Segment[], offset: number): number {
  let lo = 0;
  let hi = segments.length - 1;
  let found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (segments[mid].baseOffset <= offset) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}
