/**
 * Builds one RecordBatch v2 in place, record by record, for the producer's hot path.
 *
 * Records are encoded straight into the batch buffer as they are appended: sizes are computed
 * arithmetically first, so no intermediate record object or temporary buffer exists. The 61-byte
 * header (layout in protocol/record-batch.ts) is filled at seal(); the fields the CRC covers that
 * depend on when the batch is sent (producer id, epoch, base sequence) are stamped by stamp(),
 * which also computes the CRC-32C. A retry resends the stamped bytes unchanged.
 *
 * Record v2 (DefaultRecord.java):
 *   length varint, attributes int8 (0), timestampDelta varlong, offsetDelta varint,
 *   keyLength varint (-1 = null), key, valueLength varint (-1 = null), value,
 *   headerCount varint, [headerKeyLength varint, headerKey, headerValueLength varint, headerValue]
 * All varints are zigzag-encoded.
 */
import { gzipSync } from 'node:zlib';
import {
  BATCH_HEADER_SIZE,
  Compression,
  type CompressionName,
  computeBatchCrc,
  LOG_OVERHEAD,
  MAGIC_V2,
} from '../protocol/record-batch.js';

export type Bytes = string | Uint8Array;

export interface RecordHeader {
  key: string;
  value: Bytes | null;
}

/** Headers as a list (duplicates kept, order kept) or as an object (kafkajs style). */
export type RecordHeaders = readonly RecordHeader[] | Readonly<Record<string, Bytes | null | undefined>>;

/** Size in bytes of the unsigned LEB128 encoding of a uint32. */
function uvarintSize(u: number): number {
  if (u < 0x80) return 1;
  if (u < 0x4000) return 2;
  if (u < 0x200000) return 3;
  if (u < 0x10000000) return 4;
  return 5;
}

/** Size of a zigzag varint for a signed 32-bit value. */
export function varintSize(n: number): number {
  return uvarintSize(((n << 1) ^ (n >> 31)) >>> 0);
}

function varlongSize(n: number): number {
  if (n >= -0x40000000 && n < 0x40000000) return varintSize(n);
  let z = BigInt.asUintN(64, (BigInt(n) << 1n) ^ (BigInt(n) >> 63n));
  let size = 1;
  while (z >= 0x80n) {
    z >>= 7n;
    size++;
  }
  return size;
}

function writeUvarint(buf: Buffer, pos: number, u: number): number {
  while (u >= 0x80) {
    buf[pos++] = (u & 0x7f) | 0x80;
    u >>>= 7;
  }
  buf[pos++] = u;
  return pos;
}

function writeVarint(buf: Buffer, pos: number, n: number): number {
  return writeUvarint(buf, pos, ((n << 1) ^ (n >> 31)) >>> 0);
}

function writeVarlong(buf: Buffer, pos: number, n: number): number {
  if (n >= -0x40000000 && n < 0x40000000) return writeVarint(buf, pos, n);
  let z = BigInt.asUintN(64, (BigInt(n) << 1n) ^ (BigInt(n) >> 63n));
  while (z >= 0x80n) {
    buf[pos++] = Number(z & 0x7fn) | 0x80;
    z >>= 7n;
  }
  buf[pos++] = Number(z);
  return pos;
}

/** UTF-8 length of a string: a JS loop for short ones (no native call), Buffer.byteLength else. */
function utf8Length(s: string): number {
  const n = s.length;
  if (n > 32) return Buffer.byteLength(s, 'utf8');
  let bytes = n;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 2; // a surrogate pair: two code units, four bytes
      i++;
    } else bytes += 2;
  }
  return bytes;
}

function byteLength(b: Bytes | null | undefined): number {
  if (b === null || b === undefined) return -1;
  return typeof b === 'string' ? utf8Length(b) : b.length;
}

/** Copies bytes whose length is known; short ones by hand, which beats a native call. */
function writeBytes(buf: Buffer, pos: number, b: Bytes, len: number): number {
  if (typeof b === 'string') {
    if (len === b.length && len <= 32) {
      for (let i = 0; i < len; i++) buf[pos + i] = b.charCodeAt(i);
    } else buf.write(b, pos, len, 'utf8');
  } else if (len <= 32) {
    for (let i = 0; i < len; i++) buf[pos + i] = b[i];
  } else buf.set(b, pos);
  return pos + len;
}

function headerSize(key: string, value: Bytes | null): number {
  const k = utf8Length(key);
  const v = byteLength(value);
  return varintSize(k) + k + varintSize(v) + Math.max(v, 0);
}

function writeHeader(buf: Buffer, p: number, key: string, value: Bytes | null): number {
  const k = utf8Length(key);
  p = writeVarint(buf, p, k);
  p = writeBytes(buf, p, key, k);
  const v = byteLength(value);
  p = writeVarint(buf, p, v);
  return v > 0 ? writeBytes(buf, p, value!, v) : p;
}

/**
 * Bytes of a record's header section (count varint included). Object headers are walked in
 * place, without building a list; undefined values are left out, as if the key were absent.
 */
function headersSize(h: RecordHeaders | undefined): number {
  if (h === undefined) return 1;
  let count = 0;
  let size = 0;
  if (Array.isArray(h)) {
    for (const x of h as readonly RecordHeader[]) size += headerSize(x.key, x.value);
    count = h.length;
  } else {
    const o = h as Readonly<Record<string, Bytes | null | undefined>>;
    for (const key in o) {
      const value = o[key];
      if (value === undefined) continue;
      size += headerSize(key, value);
      count++;
    }
  }
  return varintSize(count) + size;
}

function writeHeaders(buf: Buffer, p: number, h: RecordHeaders | undefined): number {
  if (h === undefined) {
    buf[p] = 0;
    return p + 1;
  }
  if (Array.isArray(h)) {
    const list = h as readonly RecordHeader[];
    p = writeVarint(buf, p, list.length);
    for (const x of list) p = writeHeader(buf, p, x.key, x.value);
    return p;
  }
  const o = h as Readonly<Record<string, Bytes | null | undefined>>;
  let count = 0;
  for (const key in o) if (o[key] !== undefined) count++;
  p = writeVarint(buf, p, count);
  for (const key in o) {
    const value = o[key];
    if (value !== undefined) p = writeHeader(buf, p, key, value);
  }
  return p;
}

/** Encoded size of a record without its length prefix (the value the prefix carries). */
export function recordBodySize(
  timestampDelta: number,
  offsetDelta: number,
  keyLen: number,
  valueLen: number,
  headers: RecordHeaders | undefined,
): number {
  return (
    1 +
    varlongSize(timestampDelta) +
    varintSize(offsetDelta) +
    varintSize(keyLen) +
    Math.max(keyLen, 0) +
    varintSize(valueLen) +
    Math.max(valueLen, 0) +
    headersSize(headers)
  );
}

const INITIAL_BUFFER = 64 * 1024;

export class BatchBuilder {
  private buf: Buffer;
  private pos = BATCH_HEADER_SIZE;
  count = 0;
  /** The first record's timestamp (creation time until a record names its own). */
  baseTimestamp: number;
  private maxTimestamp: number;

  /** capacity: batch bytes including the header; a first record bigger than that gets its own buffer. */
  constructor(
    readonly capacity: number,
    baseTimestamp = Date.now(),
  ) {
    // Large batch sizes start small and double: a 1 MiB batchSize should not cost 1 MiB for a
    // batch that ends up holding a few records.
    this.buf = Buffer.allocUnsafe(Math.max(Math.min(capacity, INITIAL_BUFFER), BATCH_HEADER_SIZE + 16));
    this.baseTimestamp = baseTimestamp;
    this.maxTimestamp = baseTimestamp;
  }

  /** Bytes used so far, header included. */
  get size(): number {
    return this.pos;
  }

  /**
   * Appends a record if it fits (or if the batch is empty, growing for it). Returns false when it
   * does not fit: the caller seals this batch and appends to a new one.
   */
  tryAppend(
    key: Bytes | null | undefined,
    value: Bytes | null | undefined,
    timestamp: number | undefined,
    headers?: RecordHeaders,
  ): boolean {
    if (this.count === 0 && timestamp !== undefined) {
      this.baseTimestamp = timestamp;
      this.maxTimestamp = timestamp;
    }
    const ts = timestamp ?? this.baseTimestamp;
    const tsDelta = ts - this.baseTimestamp;
    const keyLen = byteLength(key);
    const valueLen = byteLength(value);
    const offsetDelta = this.count;
    const body = recordBodySize(tsDelta, offsetDelta, keyLen, valueLen, headers);
    const size = varintSize(body) + body;
    if (this.pos + size > this.buf.length) {
      const need = this.pos + size;
      if (this.count > 0 && need > this.capacity) return false;
      // Within capacity (or the first record, whatever its size): grow, copying what is there.
      const bigger = Buffer.allocUnsafe(
        this.count > 0
          ? Math.min(this.capacity, Math.max(need, this.buf.length * 2))
          : Math.max(need, Math.min(this.capacity, this.buf.length * 2)),
      );
      this.buf.copy(bigger, 0, 0, this.pos);
      this.buf = bigger;
    }
    const buf = this.buf;
    let p = writeVarint(buf, this.pos, body);
    buf[p++] = 0;
    p = writeVarlong(buf, p, tsDelta);
    p = writeVarint(buf, p, offsetDelta);
    p = writeVarint(buf, p, keyLen);
    if (keyLen > 0) p = writeBytes(buf, p, key!, keyLen);
    p = writeVarint(buf, p, valueLen);
    if (valueLen > 0) p = writeBytes(buf, p, value!, valueLen);
    p = writeHeaders(buf, p, headers);
    this.pos = p;
    this.count++;
    if (ts > this.maxTimestamp) this.maxTimestamp = ts;
    return true;
  }

  /**
   * Finishes the batch: compresses the records if asked, fills the header (producer fields left
   * as "none" for stamp()) and returns the batch bytes. The builder must not be used afterwards.
   */
  seal(compression: CompressionName = 'none'): Buffer {
    let out = this.buf.subarray(0, this.pos);
    let attributes = 0;
    if (compression !== 'none' && this.count > 0) {
      if (compression !== 'gzip') throw new Error(`compression ${compression} is not supported`);
      const packed = gzipSync(out.subarray(BATCH_HEADER_SIZE));
      const whole = Buffer.allocUnsafe(BATCH_HEADER_SIZE + packed.length);
      packed.copy(whole, BATCH_HEADER_SIZE);
      out = whole;
      attributes = Compression.gzip;
    }
    out.writeInt32BE(0, 0);
    out.writeInt32BE(0, 4);
    out.writeInt32BE(out.length - LOG_OVERHEAD, 8);
    out.writeInt32BE(-1, 12); // partitionLeaderEpoch: clients send "none"
    out.writeInt8(MAGIC_V2, 16);
    out.writeInt16BE(attributes, 21);
    out.writeInt32BE(this.count - 1, 23);
    writeInt64(out, 27, this.baseTimestamp);
    writeInt64(out, 35, this.maxTimestamp);
    out.writeInt32BE(this.count, 57);
    stamp(out, -1, -1, -1);
    return out;
  }
}

function writeInt64(buf: Buffer, pos: number, v: number): void {
  const hi = Math.floor(v / 4294967296);
  buf.writeInt32BE(hi | 0, pos);
  buf.writeUInt32BE(v - hi * 4294967296, pos + 4);
}

/** Writes producer id, epoch and base sequence into a sealed batch and recomputes its CRC. */
export function stamp(batch: Buffer, producerId: number, producerEpoch: number, baseSequence: number): void {
  writeInt64(batch, 43, producerId);
  batch.writeInt16BE(producerEpoch, 51);
  batch.writeInt32BE(baseSequence, 53);
  batch.writeUInt32BE(computeBatchCrc(batch, 0, batch.length), 17);
}

/**
 * The sequence after `count` records starting at `sequence`: Kafka sequences are non-negative
 * int32 and wrap from 2^31-1 to 0 (DefaultRecordBatch.incrementSequence).
 */
export function nextSequence(sequence: number, count: number): number {
  return (sequence + count) % 0x80000000;
}
