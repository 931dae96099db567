/**
 * TimeIndex: a sparse map from timestamp to offset in one segment, for ListOffsets by time and
 * for time-based retention.
 *
 * On disk (`<20-digit base offset>.timeindex`), 12-byte entries, big-endian:
 *   timestamp       i64   the largest batch maxTimestamp in the segment up to this entry
 *   relativeOffset  u32   baseOffset of the first batch that carried that timestamp, minus the
 *                         segment's baseOffset
 *
 * Invariants: timestamps strictly increase and so do relative offsets; an entry is only added
 * when the segment's largest timestamp grew (so batches with timestamp -1 are never indexed).
 * Hence every batch before an entry's offset has a smaller maxTimestamp, and the first batch with
 * maxTimestamp >= t is found by walking forward from the floor entry of t. When a segment stops
 * being active (roll, close) a last entry records its largest timestamp, so a clean start knows
 * each segment's newest timestamp without reading the log. In memory in typed arrays, written at
 * flush points, never checksummed, rebuilt with the offset index.
 */
import { floorSlot, grow, readInt64, writeInt64 } from './index-file.js';

export const TIME_INDEX_ENTRY_SIZE = 12;

export class TimeIndex {
  private timestamps = new Float64Array(16);
  private relOffsets = new Uint32Array(16);
  private count = 0;
  /** Entries already in the file; the rest are written by the next persist. */
  persisted = 0;

  constructor(readonly baseOffset: number) {}

  get entries(): number {
    return this.count;
  }

  /** Largest indexed timestamp, or -1 when there is no entry. */
  get lastTimestamp(): number {
    return this.count === 0 ? -1 : this.timestamps[this.count - 1];
  }

  /** Offset of the last entry, or -1 when there is no entry. */
  get lastOffset(): number {
    return this.count === 0 ? -1 : this.baseOffset + this.relOffsets[this.count - 1];
  }

  /** Adds an entry if `timestamp` is larger than every indexed one. */
  maybeAppend(timestamp: number, offset: number): void {
    if (timestamp <= this.lastTimestamp) return;
    const n = this.count;
    this.timestamps = grow(this.timestamps, n + 1, (size) => new Float64Array(size));
    this.relOffsets = grow(this.relOffsets, n + 1, (size) => new Uint32Array(size));
    this.timestamps[n] = timestamp;
    this.relOffsets[n] = offset - this.baseOffset;
    this.count = n + 1;
  }

  /** Slot of the last entry whose timestamp is <= `timestamp`, or -1 when there is none. */
  floor(timestamp: number): number {
    return floorSlot(this.timestamps, this.count, timestamp);
  }

  offsetAt(slot: number): number {
    return this.baseOffset + this.relOffsets[slot];
  }

  timestampAt(slot: number): number {
    return this.timestamps[slot];
  }

  clear(): void {
    this.count = 0;
    this.persisted = 0;
  }

  /** File bytes of entries [from, to). */
  encode(from: number, to: number): Buffer {
    const buf = Buffer.allocUnsafe((to - from) * TIME_INDEX_ENTRY_SIZE);
    for (let i = from; i < to; i++) {
      const at = (i - from) * TIME_INDEX_ENTRY_SIZE;
      writeInt64(buf, at, this.timestamps[i]);
      buf.writeUInt32BE(this.relOffsets[i], at + 8);
    }
    return buf;
  }

  /** Loads a time index file's bytes, or returns why they are not a well-formed time index. */
  static fromBytes(baseOffset: number, bytes: Buffer): TimeIndex | string {
    if (bytes.length % TIME_INDEX_ENTRY_SIZE !== 0) {
      return `time index file of ${bytes.length} bytes is not a whole number of ${TIME_INDEX_ENTRY_SIZE}-byte entries`;
    }
    const index = new TimeIndex(baseOffset);
    const n = bytes.length / TIME_INDEX_ENTRY_SIZE;
    index.timestamps = new Float64Array(Math.max(16, n));
    index.relOffsets = new Uint32Array(Math.max(16, n));
    for (let i = 0; i < n; i++) {
      const ts = readInt64(bytes, i * TIME_INDEX_ENTRY_SIZE);
      const rel = bytes.readUInt32BE(i * TIME_INDEX_ENTRY_SIZE + 8);
      if (ts < 0 || !Number.isSafeInteger(ts)) return `time index entry ${i} has timestamp ${ts}`;
      if (i > 0 && (ts <= index.timestamps[i - 1] || rel <= index.relOffsets[i - 1])) {
        return `time index entry ${i} (timestamp ${ts}, offset +${rel}) does not follow the previous one`;
      }
      index.timestamps[i] = ts;
      index.relOffsets[i] = rel;
    }
    index.count = n;
    index.persisted = n;
    return index;
  }
}
