/**
 * OffsetIndex: a sparse map from offset to the position of a batch in one segment's .log.
 *
 * On disk (`<20-digit base offset>.index`), 8-byte entries, big-endian:
 *   relativeOffset  u32   the batch's baseOffset minus the segment's baseOffset
 *   position        u32   byte position of that batch in the .log
 *
 * Invariants: entries strictly increase in both fields; every position is the start of a batch
 * inside the .log. The segment adds an entry once at least index.interval.bytes of log were
 * appended since the previous one, so a lookup is a binary search for the floor entry and then a
 * short forward walk over batch headers. The entries live in typed arrays; the file is written
 * at flush points and is never checksummed: after an unclean shutdown it is rebuilt from the log,
 * after a clean one it is sanity-checked (`fromBytes`) and rebuilt if it does not fit.
 */
import { floorSlot, grow } from './index-file.js';

export const OFFSET_INDEX_ENTRY_SIZE = 8;
/** Largest offset distance from a segment's base that a u32 relative offset can hold. */
export const MAX_RELATIVE_OFFSET = 0xffff_ffff;

export class OffsetIndex {
  private relOffsets = new Uint32Array(16);
  private positions = new Uint32Array(16);
  private count = 0;
  /** Entries already in the file; the rest are written by the next persist. */
  persisted = 0;

  constructor(readonly baseOffset: number) {}

  get entries(): number {
    return this.count;
  }

  /** Adds an entry; the caller appends in increasing offset and position order. */
  append(offset: number, position: number): void {
    const n = this.count;
    this.relOffsets = grow(this.relOffsets, n + 1, (size) => new Uint32Array(size));
    this.positions = grow(this.positions, n + 1, (size) => new Uint32Array(size));
    this.relOffsets[n] = offset - this.baseOffset;
    this.positions[n] = position;
    this.count = n + 1;
  }

  /** Slot of the last entry whose offset is <= `offset`, or -1 when there is none. */
  floor(offset: number): number {
    return floorSlot(this.relOffsets, this.count, offset - this.baseOffset);
  }

  offsetAt(slot: number): number {
    return this.baseOffset + this.relOffsets[slot];
  }

  positionAt(slot: number): number {
    return this.positions[slot];
  }

  /** Forgets every entry, in memory and (at the next persist) on disk. */
  clear(): void {
    this.truncateTo(0);
  }

  /** Keeps the first `entries` entries, in memory and (at the next persist) on disk. */
  truncateTo(entries: number): void {
    this.count = Math.min(this.count, entries);
    this.persisted = Math.min(this.persisted, this.count);
  }

  /** File bytes of entries [from, to). */
  encode(from: number, to: number): Buffer {
    const buf = Buffer.allocUnsafe((to - from) * OFFSET_INDEX_ENTRY_SIZE);
    for (let i = from; i < to; i++) {
      const at = (i - from) * OFFSET_INDEX_ENTRY_SIZE;
      buf.writeUInt32BE(this.relOffsets[i], at);
      buf.writeUInt32BE(this.positions[i], at + 4);
    }
    return buf;
  }

  /**
   * Loads an index file's bytes, or returns why they cannot be the index of a .log of `logSize`
   * bytes: a partial entry, entries out of order, or a position past the end of the log.
   */
  static fromBytes(baseOffset: number, bytes: Buffer, logSize: number): OffsetIndex | string {
    if (bytes.length % OFFSET_INDEX_ENTRY_SIZE !== 0) {
      return `index file of ${bytes.length} bytes is not a whole number of ${OFFSET_INDEX_ENTRY_SIZE}-byte entries`;
    }
    const index = new OffsetIndex(baseOffset);
    const n = bytes.length / OFFSET_INDEX_ENTRY_SIZE;
    index.relOffsets = new Uint32Array(Math.max(16, n));
    index.positions = new Uint32Array(Math.max(16, n));
    for (let i = 0; i < n; i++) {
      const rel = bytes.readUInt32BE(i * OFFSET_INDEX_ENTRY_SIZE);
      const position = bytes.readUInt32BE(i * OFFSET_INDEX_ENTRY_SIZE + 4);
      if (position >= logSize)
        return `index entry ${i} points at position ${position}, past the log's ${logSize} bytes`;
      if (i > 0 && (rel <= index.relOffsets[i - 1] || position <= index.positions[i - 1])) {
        return `index entry ${i} (offset +${rel}, position ${position}) does not follow the previous one`;
      }
      index.relOffsets[i] = rel;
      index.positions[i] = position;
    }
    index.count = n;
    index.persisted = n;
    return index;
  }
}
