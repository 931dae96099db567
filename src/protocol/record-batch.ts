/**
 * RecordBatch v2 header: layout, validation and the one in-place rewrite the broker does.
 *
 *   offset  size  field
 *   0       8     baseOffset            <- rewritten by the broker at append (outside the CRC)
 *   8       4     batchLength           (bytes after this field)
 *   12      4     partitionLeaderEpoch
 *   16      1     magic                 (= 2)
 *   17      4     crc                   CRC-32C (Castagnoli) of bytes 21..end
 *   21      2     attributes            bits 0-2 compression, 3 timestamp type, 4 transactional, 5 control
 *   23      4     lastOffsetDelta
 *   27      8     baseTimestamp
 *   35      8     maxTimestamp
 *   43      8     producerId
 *   51      2     producerEpoch
 *   53      4     baseSequence
 *   57      4     recordCount
 *   61      ...   records
 *
 * The broker never decompresses or re-encodes records: it validates the header and CRC, rewrites
 * baseOffset and stores the bytes verbatim. Record encoding and decoding live in records.ts.
 */
import { crc32c } from '@node-rs/crc32';

export const LOG_OVERHEAD = 12;
export const BATCH_HEADER_SIZE = 61;
export const MAGIC_V2 = 2;
export const CRC_START = 21;

export enum BatchAttr {
  CompressionMask = 0x07,
  LogAppendTime = 0x08,
  Transactional = 0x10,
  Control = 0x20,
}

export const Compression = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export type CompressionName = keyof typeof Compression;

export interface BatchHeader {
  baseOffset: number;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * 4294967296 + buf.readUInt32BE(pos + 4);
}

function writeInt64(buf: Buffer, pos: number, v: number): void {
  const hi = Math.floor(v / 4294967296);
  buf.writeInt32BE(hi, pos);
  buf.writeUInt32BE(v - hi * 4294967296, pos + 4);
}

/** Reads a batch header at pos. The caller ensures at least BATCH_HEADER_SIZE bytes. */
export function readBatchHeader(buf: Buffer, pos = 0): BatchHeader {
  return {
    baseOffset: readInt64(buf, pos),
    batchLength: buf.readInt32BE(pos + 8),
    partitionLeaderEpoch: buf.readInt32BE(pos + 12),
    magic: buf.readInt8(pos + 16),
    crc: buf.readUInt32BE(pos + 17),
    attributes: buf.readInt16BE(pos + 21),
    lastOffsetDelta: buf.readInt32BE(pos + 23),
    baseTimestamp: readInt64(buf, pos + 27),
    maxTimestamp: readInt64(buf, pos + 35),
    producerId: readInt64(buf, pos + 43),
    producerEpoch: buf.readInt16BE(pos + 51),
    baseSequence: buf.readInt32BE(pos + 53),
    recordCount: buf.readInt32BE(pos + 57),
  };
}

/** Whole size of the batch at pos: LOG_OVERHEAD + batchLength. */
export function batchSize(buf: Buffer, pos = 0): number {
  return LOG_OVERHEAD + buf.readInt32BE(pos + 8);
}

export function batchBaseOffset(buf: Buffer, pos = 0): number {
  return readInt64(buf, pos);
}

export function batchLastOffsetDelta(buf: Buffer, pos = 0): number {
  return buf.readInt32BE(pos + 23);
}

export function batchMaxTimestamp(buf: Buffer, pos = 0): number {
  return readInt64(buf, pos + 35);
}

export function setBaseOffset(buf: Buffer, pos: number, baseOffset: number): void {
  writeInt64(buf, pos, baseOffset);
}

/** Computes the CRC-32C the header should carry. */
export function computeBatchCrc(buf: Buffer, pos: number, size: number): number {
  return crc32c(buf.subarray(pos + CRC_START, pos + size)) >>> 0;
}

/**
 * Validates one batch at pos (bytes up to `end` are available). Returns null when valid, else a
 * short reason. Checks: a whole header, a sane length within the bytes given, magic 2, CRC-32C,
 * and recordCount === lastOffsetDelta + 1 for data batches (control batches carry one record).
 */
export function validateBatch(buf: Buffer, pos: number, end: number): string | null {
  if (end - pos < BATCH_HEADER_SIZE) return `short header: ${end - pos} bytes`;
  const batchLength = buf.readInt32BE(pos + 8);
  if (batchLength < BATCH_HEADER_SIZE - LOG_OVERHEAD) return `batch length ${batchLength} too small`;
  const size = LOG_OVERHEAD + batchLength;
  if (size > end - pos)
    return `batch length ${batchLength} runs past the end (${end - pos - LOG_OVERHEAD} left)`;
  const magic = buf.readInt8(pos + 16);
  if (magic !== MAGIC_V2) return `magic ${magic}, only 2 is supported`;
  const stored = buf.readUInt32BE(pos + 17);
  const actual = computeBatchCrc(buf, pos, size);
  if (stored !== actual) return `crc mismatch: stored ${stored}, computed ${actual}`;
  const lastOffsetDelta = buf.readInt32BE(pos + 23);
  const recordCount = buf.readInt32BE(pos + 57);
  if (lastOffsetDelta < 0) return `negative lastOffsetDelta ${lastOffsetDelta}`;
  const attributes = buf.readInt16BE(pos + 21);
  if ((attributes & BatchAttr.Control) === 0 && recordCount !== lastOffsetDelta + 1) {
    return `record count ${recordCount} != lastOffsetDelta + 1 (${lastOffsetDelta + 1})`;
  }
  return null;
}

export interface BatchSpan {
  pos: number;
  size: number;
}

/**
 * Splits a records blob (one or more batches back to back) into batch spans, validating each.
 * Returns the spans, or a reason for the first invalid batch.
 */
export function splitBatches(buf: Buffer): { spans: BatchSpan[]; error: string | null } {
  const spans: BatchSpan[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const error = validateBatch(buf, pos, buf.length);
    if (error !== null) return { spans, error };
    const size = batchSize(buf, pos);
    spans.push({ pos, size });
    pos += size;
  }
  return { spans, error: spans.length === 0 ? 'no record batch' : null };
}
