/**
 * The stamp a load tool puts on each message it produces, in one binary header, so that a
 * consumer can tell who sent it, its place in that producer's sequence, and when it was meant
 * to be sent (the intended send time of a fixed-rate schedule, or the actual one without a
 * schedule).
 *
 * Header `mq-stamp`, 20 bytes, big-endian:
 *   0  uint32   producer id (unique within one run)
 *   4  float64  sequence number (an integer, 0-based, per producer)
 *   12 float64  intended send time, µs since the Unix epoch on the clock of metrics/clock.ts
 * Decoders accept longer values (room for later fields) and refuse shorter ones.
 */
export const STAMP_HEADER = 'mq-stamp';
export const STAMP_SIZE = 20;

export interface Stamp {
  producerId: number;
  sequence: number;
  intendedMicros: number;
}

/** Writes a stamp at `offset` of `buf` (which must have 20 bytes there). */
export function writeStamp(
  buf: Buffer,
  offset: number,
  producerId: number,
  sequence: number,
  intendedMicros: number,
): void {
  buf.writeUInt32BE(producerId >>> 0, offset);
  buf.writeDoubleBE(sequence, offset + 4);
  buf.writeDoubleBE(intendedMicros, offset + 12);
}

/**
 * Stamps for `count` consecutive messages of one producer in one allocation: entry i is the
 * 20-byte view for sequence `firstSequence + i`, intended at `intendedMicros(i)`.
 */
export function stampRun(
  producerId: number,
  firstSequence: number,
  count: number,
  intendedMicros: (i: number) => number,
): Buffer[] {
  const block = Buffer.allocUnsafe(count * STAMP_SIZE);
  const out = new Array<Buffer>(count);
  for (let i = 0; i < count; i++) {
    const off = i * STAMP_SIZE;
    writeStamp(block, off, producerId, firstSequence + i, intendedMicros(i));
    out[i] = block.subarray(off, off + STAMP_SIZE);
  }
  return out;
}

export function encodeStamp(s: Stamp): Buffer {
  const b = Buffer.allocUnsafe(STAMP_SIZE);
  writeStamp(b, 0, s.producerId, s.sequence, s.intendedMicros);
  return b;
}

/** The stamp in a header value, or null when it is missing or too short. */
export function decodeStamp(value: Uint8Array | string | null | undefined): Stamp | null {
  if (!value || typeof value === 'string' || value.length < STAMP_SIZE) return null;
  const v = new DataView(value.buffer, value.byteOffset, value.byteLength);
  return { producerId: v.getUint32(0), sequence: v.getFloat64(4), intendedMicros: v.getFloat64(12) };
}

/** Only the intended send time: the consumer's hot path (no object per message). */
export function stampIntendedMicros(value: Uint8Array | string | null | undefined): number {
  if (!value || typeof value === 'string' || value.length < STAMP_SIZE) return Number.NaN;
  if (Buffer.isBuffer(value)) return value.readDoubleBE(12);
  return new DataView(value.buffer, value.byteOffset, value.byteLength).getFloat64(12);
}
