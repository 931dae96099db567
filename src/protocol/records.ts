/**
 * Records inside a RecordBatch v2: encoding for producers, decoding for consumers.
 *
 * The batch header layout lives in record-batch.ts. After the 61-byte header come `recordCount`
 * records, compressed as one stream when the batch's compression bits say so (the header itself
 * is never compressed). Each record:
 *
 *   length          varint    bytes after this field
 *   attributes      int8      unused, 0
 *   timestampDelta  varlong   timestamp - batch baseTimestamp
 *   offsetDelta     varint    offset - batch baseOffset
 *   keyLength       varint    -1 = null key
 *   key             bytes
 *   valueLength     varint    -1 = null value
 *   value           bytes
 *   headerCount     varint
 *   headers         headerKeyLength varint, headerKey utf8 (never null),
 *                   headerValueLength varint (-1 = null), headerValue bytes
 *
 * (varint/varlong: zigzag, then unsigned LEB128.) The CRC-32C covers bytes 21..end of the batch,
 * so baseOffset and partitionLeaderEpoch can be rewritten by a broker without recomputing it.
 *
 * Encoding an uncompressed batch sizes everything first and writes into one allocation; gzip
 * writes the records into one buffer, compresses it and copies the result behind the header.
 * Decoding returns keys, values and header values as views into the batch (or the decompressed
 * buffer), with absolute offsets and timestamps. gzip is supported; snappy, lz4 and zstd throw
 * UnsupportedCompressionError. A partial batch at the end of a Fetch response is normal (the
 * broker cuts at max_bytes) and decodeRecords ignores it.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { crc32c } from '@node-rs/crc32';
import { MalformedFrameError } from './reader.js';
import {
  BATCH_HEADER_SIZE,
  BatchAttr,
  type BatchHeader,
  Compression,
  type CompressionName,
  CRC_START,
  computeBatchCrc,
  LOG_OVERHEAD,
  MAGIC_V2,
  readBatchHeader,
} from './record-batch.js';

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface ProducerRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers?: readonly RecordHeader[];
  /** Create time in ms; defaults to the batch's base timestamp. */
  timestamp?: number;
}

export interface EncodeBatchOptions {
  records: readonly ProducerRecord[];
  compression?: 'none' | 'gzip';
  /** Defaults to the first record's timestamp, or now. */
  baseTimestamp?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  baseOffset?: number;
  partitionLeaderEpoch?: number;
  transactional?: boolean;
}

export interface DecodedRecord {
  readonly offset: number;
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: RecordHeader[];
}

export interface DecodedBatch {
  header: BatchHeader;
  /** Whole size of the batch in the blob (LOG_OVERHEAD + batchLength). */
  size: number;
  compression: CompressionName;
  timestampType: 'create' | 'log-append';
  transactional: boolean;
  /** Control batches carry transaction markers, not data: consumers skip them. */
  control: boolean;
  records: RecordView[];
}

export interface DecodeOptions {
  /** Check the CRC-32C of every batch (default true). */
  verifyCrc?: boolean;
  /** Upper bound on a decompressed batch, so a lying batch cannot exhaust memory (default 256 MiB). */
  maxDecompressedBytes?: number;
}

export class UnsupportedCompressionError extends Error {
  override name = 'UnsupportedCompressionError';
  constructor(readonly compression: string) {
    super(`unsupported compression: ${compression} (mq decodes none and gzip)`);
  }
}

const COMPRESSION_NAMES: CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
const DEFAULT_MAX_DECOMPRESSED = 256 * 1024 * 1024;
/** attributes(1) + timestampDelta(1) + offsetDelta(1) + key(1) + value(1) + headerCount(1), after length(1). */
const MIN_RECORD_SIZE = 7;

// ---------------------------------------------------------------------------------------------
// Encoding

function uvarintSize(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  return 5;
}

function varintSize(v: number): number {
  return uvarintSize(((v << 1) ^ (v >> 31)) >>> 0);
}

/** Zigzag of a 64-bit value held in a double (exact below 2^52 in magnitude). */
function zigzag64(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

function varlongSize(v: number): number {
  if (v >= -0x40000000 && v < 0x40000000) return varintSize(v);
  let z = zigzag64(v);
  let n = 1;
  while (z >= 0x80) {
    z = Math.floor(z / 0x80);
    n++;
  }
  return n;
}

function writeUvarint(buf: Buffer, pos: number, v: number): number {
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

function writeVarint(buf: Buffer, pos: number, v: number): number {
  return writeUvarint(buf, pos, ((v << 1) ^ (v >> 31)) >>> 0);
}

function writeVarlong(buf: Buffer, pos: number, v: number): number {
  if (v >= -0x40000000 && v < 0x40000000) return writeVarint(buf, pos, v);
  let z = zigzag64(v);
  while (z >= 0x80) {
    buf[pos++] = (z % 0x80) | 0x80;
    z = Math.floor(z / 0x80);
  }
  buf[pos++] = z;
  return pos;
}

function writeInt64(buf: Buffer, pos: number, v: number): void {
  const hi = Math.floor(v / 4294967296);
  buf.writeInt32BE(hi, pos);
  buf.writeUInt32BE(v - hi * 4294967296, pos + 4);
}

/** Bytes a nullable key/value takes: length varint plus the bytes. */
function bytesFieldSize(b: Buffer | null): number {
  return b === null ? 1 : varintSize(b.length) + b.length;
}

function writeBytesField(buf: Buffer, pos: number, b: Buffer | null): number {
  if (b === null) return writeVarint(buf, pos, -1);
  const n = b.length;
  pos = writeVarint(buf, pos, n);
  // Small fields (keys, header values) copy faster in JS than through a native call.
  if (n <= 32) {
    for (let i = 0; i < n; i++) buf[pos + i] = b[i];
  } else {
    buf.set(b, pos);
  }
  return pos + n;
}

/**
 * UTF-8 byte length of a string. Header keys are short, where a JS loop beats the native call;
 * long strings go to Buffer.byteLength. Lone surrogates count 3 bytes (U+FFFD), as Buffer writes them.
 */
function utf8Length(s: string): number {
  const n = s.length;
  if (n > 64) return Buffer.byteLength(s, 'utf8');
  let bytes = n;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      bytes += 1;
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 2; // a surrogate pair: 2 code units, 4 bytes
      i++;
    } else {
      bytes += 2;
    }
  }
  return bytes;
}

/** Writes a string whose UTF-8 length is known; ASCII (length === byteLength) is copied by hand. */
function writeUtf8(buf: Buffer, pos: number, s: string, byteLength: number): number {
  if (byteLength === s.length && byteLength <= 64) {
    for (let i = 0; i < byteLength; i++) buf[pos + i] = s.charCodeAt(i);
    return pos + byteLength;
  }
  return pos + buf.write(s, pos, byteLength, 'utf8');
}

/** Reused between calls: the body size of each record, computed once in the sizing pass. */
let bodySizes = new Int32Array(64);

/** Sizes every record (body sizes into `bodySizes`) and returns the total bytes of the records. */
function sizeRecords(records: readonly ProducerRecord[], baseTimestamp: number): number {
  if (bodySizes.length < records.length) bodySizes = new Int32Array(records.length * 2);
  let total = 0;
  for (let i = 0; i < records.length; i++) {
    const rec = records[i];
    let size =
      1 +
      varlongSize((rec.timestamp ?? baseTimestamp) - baseTimestamp) +
      varintSize(i) +
      bytesFieldSize(rec.key) +
      bytesFieldSize(rec.value);
    const headers = rec.headers;
    if (headers === undefined || headers.length === 0) {
      size += 1;
    } else {
      size += varintSize(headers.length);
      for (const h of headers) {
        const keyLength = utf8Length(h.key);
        size += varintSize(keyLength) + keyLength + bytesFieldSize(h.value);
      }
    }
    bodySizes[i] = size;
    total += varintSize(size) + size;
  }
  return total;
}

function writeRecords(
  buf: Buffer,
  pos: number,
  records: readonly ProducerRecord[],
  baseTimestamp: number,
): number {
  for (let i = 0; i < records.length; i++) {
    const rec = records[i];
    pos = writeVarint(buf, pos, bodySizes[i]);
    buf[pos++] = 0;
    pos = writeVarlong(buf, pos, (rec.timestamp ?? baseTimestamp) - baseTimestamp);
    pos = writeVarint(buf, pos, i);
    pos = writeBytesField(buf, pos, rec.key);
    pos = writeBytesField(buf, pos, rec.value);
    const headers = rec.headers;
    if (headers === undefined || headers.length === 0) {
      buf[pos++] = 0;
      continue;
    }
    pos = writeVarint(buf, pos, headers.length);
    for (const h of headers) {
      const keyLength = utf8Length(h.key);
      pos = writeVarint(buf, pos, keyLength);
      pos = writeUtf8(buf, pos, h.key, keyLength);
      pos = writeBytesField(buf, pos, h.value);
    }
  }
  return pos;
}

/**
 * Encodes a complete RecordBatch v2 (header, records, CRC-32C). Record i gets offsetDelta i.
 * The batch's maxTimestamp is the largest record timestamp.
 */
export function encodeRecordBatch(opts: EncodeBatchOptions): Buffer {
  const records = opts.records;
  const count = records.length;
  if (count === 0) throw new RangeError('a record batch needs at least one record');
  const compression = opts.compression ?? 'none';
  if (compression !== 'none' && compression !== 'gzip') throw new UnsupportedCompressionError(compression);

  const baseTimestamp = opts.baseTimestamp ?? records[0].timestamp ?? Date.now();
  let maxTimestamp = -Infinity;
  for (let i = 0; i < count; i++) {
    const ts = records[i].timestamp ?? baseTimestamp;
    if (ts > maxTimestamp) maxTimestamp = ts;
  }

  const recordsSize = sizeRecords(records, baseTimestamp);
  let buf: Buffer;
  if (compression === 'none') {
    buf = Buffer.allocUnsafe(BATCH_HEADER_SIZE + recordsSize);
    const end = writeRecords(buf, BATCH_HEADER_SIZE, records, baseTimestamp);
    if (end !== buf.length) throw new Error(`record sizing bug: wrote ${end} of ${buf.length} bytes`);
  } else {
    const plain = Buffer.allocUnsafe(recordsSize);
    writeRecords(plain, 0, records, baseTimestamp);
    const compressed = gzipSync(plain);
    buf = Buffer.allocUnsafe(BATCH_HEADER_SIZE + compressed.length);
    compressed.copy(buf, BATCH_HEADER_SIZE);
  }

  const attributes = Compression[compression] | (opts.transactional ? BatchAttr.Transactional : 0);
  writeInt64(buf, 0, opts.baseOffset ?? 0);
  buf.writeInt32BE(buf.length - LOG_OVERHEAD, 8);
  buf.writeInt32BE(opts.partitionLeaderEpoch ?? -1, 12);
  buf.writeInt8(MAGIC_V2, 16);
  buf.writeInt16BE(attributes, 21);
  buf.writeInt32BE(count - 1, 23);
  writeInt64(buf, 27, baseTimestamp);
  writeInt64(buf, 35, maxTimestamp);
  writeInt64(buf, 43, opts.producerId ?? -1);
  buf.writeInt16BE(opts.producerEpoch ?? -1, 51);
  buf.writeInt32BE(opts.baseSequence ?? -1, 53);
  buf.writeInt32BE(count, 57);
  buf.writeUInt32BE(crc32c(buf.subarray(CRC_START)) >>> 0, 17);
  return buf;
}

// ---------------------------------------------------------------------------------------------
// Decoding

// Records are decoded with a cursor shared by the helpers below (no Reader method per field, no
// result objects): the consumer's hot path. Every read is bounded by the end of the record or
// batch it belongs to, and every length is checked before anything is made from it.
let at = 0;

function malformed(what: string): never {
  throw new MalformedFrameError(what);
}

function byteAt(buf: Buffer, end: number): number {
  return at < end ? buf[at++] : malformed('record field runs past the end of its record');
}

/** Unsigned varint of at most 5 bytes (32-bit fields). */
function uvarintAt(buf: Buffer, end: number): number {
  let b = byteAt(buf, end);
  if (b < 0x80) return b;
  let v = b & 0x7f;
  b = byteAt(buf, end);
  v |= (b & 0x7f) << 7;
  if (b < 0x80) return v;
  b = byteAt(buf, end);
  v |= (b & 0x7f) << 14;
  if (b < 0x80) return v;
  b = byteAt(buf, end);
  v |= (b & 0x7f) << 21;
  if (b < 0x80) return v;
  b = byteAt(buf, end);
  if (b >= 0x80) malformed('varint longer than 5 bytes');
  return v + b * 0x10000000;
}

function varintAt(buf: Buffer, end: number): number {
  const u = uvarintAt(buf, end);
  return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
}

/** Zigzag varlong with double arithmetic (exact to 2^53; timestamps are far below). */
function varlongAt(buf: Buffer, end: number): number {
  let u = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    const b = byteAt(buf, end);
    u += (b & 0x7f) * scale;
    if (b < 0x80) return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
    scale *= 0x80;
  }
  return malformed('varlong longer than 10 bytes');
}

function bytesAt(buf: Buffer, end: number): Buffer | null {
  const n = varintAt(buf, end);
  if (n === -1) return null;
  if (n < -1) malformed(`negative length ${n} in a record`);
  if (n > end - at) malformed(`record field of ${n} bytes with ${end - at} left`);
  const v = buf.subarray(at, at + n);
  at += n;
  return v;
}

/** A header key: short ASCII decoded by hand (no Buffer view, no native call), else as UTF-8. */
function headerKeyAt(buf: Buffer, end: number): string {
  const n = varintAt(buf, end);
  if (n < 0 || n > end - at) malformed(`record header key length ${n} with ${end - at} left`);
  const start = at;
  at += n;
  if (n <= 32) {
    let key = '';
    for (let i = start; i < start + n; i++) {
      const c = buf[i];
      if (c >= 0x80) return buf.toString('utf8', start, start + n);
      key += String.fromCharCode(c);
    }
    return key;
  }
  return buf.toString('utf8', start, start + n);
}

/** Skips a length-prefixed field (-1 = null) at `at`, checking it lies inside the record. */
function skipBytesAt(buf: Buffer, end: number): number {
  const n = varintAt(buf, end);
  if (n < -1) malformed(`negative length ${n} in a record`);
  if (n > end - at) malformed(`record field of ${n} bytes with ${end - at} left`);
  if (n > 0) at += n;
  return n;
}

/**
 * The record at `at`, within the records that end at `limit`; leaves `at` after it. Every field
 * is bounds-checked here, but nothing is made from it: the key, value and headers are read when
 * first asked for (RecordView).
 */
function recordAt(buf: Buffer, limit: number, header: BatchHeader, logAppendTime: boolean): RecordView {
  const length = varintAt(buf, limit);
  if (length < 0 || length > limit - at) malformed(`record length ${length} with ${limit - at} bytes left`);
  const end = at + length;
  at++; // attributes: unused
  const timestampDelta = varlongAt(buf, end);
  const offsetDelta = varintAt(buf, end);
  const keyLength = skipBytesAt(buf, end);
  const keyAt = at - Math.max(keyLength, 0);
  const valueLength = skipBytesAt(buf, end);
  const valueAt = at - Math.max(valueLength, 0);
  const headersAt = at;
  const headerCount = varintAt(buf, end);
  // A header takes at least 2 bytes (key length, value length).
  if (headerCount < 0 || headerCount * 2 > end - at)
    malformed(`${headerCount} record headers claimed with ${end - at} bytes left`);
  for (let i = 0; i < headerCount; i++) {
    if (skipBytesAt(buf, end) < 0) malformed('record header key length -1');
    skipBytesAt(buf, end);
  }
  if (at !== end) malformed(`record length ${length} does not match its fields`);
  return new RecordView(
    header.baseOffset + offsetDelta,
    logAppendTime ? header.maxTimestamp : header.baseTimestamp + timestampDelta,
    buf,
    keyAt,
    keyLength,
    valueAt,
    valueLength,
    headersAt,
    headerCount,
  );
}

const NO_HEADERS: RecordHeader[] = [];
Object.freeze(NO_HEADERS);

/**
 * A decoded record that keeps positions into its batch instead of its parts: the key, value and
 * header values become Buffer views (never copies) when first read, and stay. A consumer that
 * looks only at offsets and timestamps makes one object per record instead of six (record, key
 * and value views, header array, header, header value view). The batch was fully bounds-checked
 * when it was decoded, so reading a part cannot fail. `valueSize` is the value's length without
 * making the view (-1 for a null value).
 */
export class RecordView implements DecodedRecord {
  private k: Buffer | null | undefined = undefined;
  private v: Buffer | null | undefined = undefined;
  private h: RecordHeader[] | undefined = undefined;

  constructor(
    readonly offset: number,
    readonly timestamp: number,
    private readonly buf: Buffer,
    private readonly keyAt: number,
    private readonly keyLength: number,
    private readonly valueAt: number,
    readonly valueSize: number,
    private readonly headersAt: number,
    readonly headerCount: number,
  ) {}

  get key(): Buffer | null {
    if (this.k === undefined)
      this.k = this.keyLength < 0 ? null : this.buf.subarray(this.keyAt, this.keyAt + this.keyLength);
    return this.k;
  }

  get value(): Buffer | null {
    if (this.v === undefined)
      this.v = this.valueSize < 0 ? null : this.buf.subarray(this.valueAt, this.valueAt + this.valueSize);
    return this.v;
  }

  get headers(): RecordHeader[] {
    if (this.h === undefined) this.h = this.headerCount === 0 ? NO_HEADERS : this.readHeaders();
    return this.h;
  }

  /**
   * The value of the first header with this key (undefined if none), found by comparing key
   * bytes in place: no header array, strings or views but the one returned.
   */
  header(key: string): Buffer | null | undefined {
    if (this.h !== undefined) {
      for (const h of this.h) if (h.key === key) return h.value;
      return undefined;
    }
    if (this.headerCount === 0) return undefined;
    for (let j = 0; j < key.length; j++) {
      // Keys are compared byte for byte with char codes: a non-ASCII key goes the long way.
      if (key.charCodeAt(j) >= 0x80) return this.headers.find((h) => h.key === key)?.value;
    }
    const buf = this.buf;
    const end = buf.length;
    const saved = at;
    try {
      at = this.headersAt;
      const n = varintAt(buf, end);
      for (let i = 0; i < n; i++) {
        const kn = varintAt(buf, end);
        let same = kn === key.length;
        for (let j = 0; same && j < kn; j++) same = buf[at + j] === key.charCodeAt(j);
        at += kn;
        if (same) return bytesAt(buf, end);
        const vn = varintAt(buf, end);
        if (vn > 0) at += vn;
      }
      return undefined;
    } finally {
      at = saved;
    }
  }

  /** The plain fields, for JSON and for comparing with plain records. */
  toJSON(): DecodedRecord {
    return {
      offset: this.offset,
      timestamp: this.timestamp,
      key: this.key,
      value: this.value,
      headers: this.headers,
    };
  }

  private readHeaders(): RecordHeader[] {
    const saved = at;
    try {
      at = this.headersAt;
      const end = this.buf.length;
      const n = varintAt(this.buf, end);
      const headers = new Array<RecordHeader>(n);
      for (let i = 0; i < n; i++) {
        const key = headerKeyAt(this.buf, end);
        headers[i] = { key, value: bytesAt(this.buf, end) };
      }
      return headers;
    } finally {
      at = saved;
    }
  }
}

/**
 * Decodes the whole batch at `pos`. Throws MalformedFrameError for a truncated or corrupt batch
 * (including a CRC mismatch), UnsupportedCompressionError for snappy/lz4/zstd.
 */
export function decodeRecordBatch(buf: Buffer, pos = 0, opts: DecodeOptions = {}): DecodedBatch {
  const available = buf.length - pos;
  if (available < BATCH_HEADER_SIZE)
    throw new MalformedFrameError(`record batch header needs 61 bytes, have ${available}`);
  const size = LOG_OVERHEAD + buf.readInt32BE(pos + 8);
  if (size < BATCH_HEADER_SIZE || size > available) {
    throw new MalformedFrameError(`record batch of ${size} bytes with ${available} available`);
  }
  const magic = buf.readInt8(pos + 16);
  if (magic !== MAGIC_V2)
    throw new MalformedFrameError(`record batch magic ${magic}: only v2 (magic 2) is supported`);
  if (opts.verifyCrc !== false) {
    const stored = buf.readUInt32BE(pos + 17);
    const actual = computeBatchCrc(buf, pos, size);
    if (stored !== actual)
      throw new MalformedFrameError(`record batch crc mismatch: stored ${stored}, computed ${actual}`);
  }
  const header = readBatchHeader(buf, pos);
  const compression = COMPRESSION_NAMES[header.attributes & BatchAttr.CompressionMask] ?? 'unknown';

  let data: Buffer;
  let from: number;
  let to: number;
  if (compression === 'none') {
    data = buf;
    from = pos + BATCH_HEADER_SIZE;
    to = pos + size;
  } else if (compression === 'gzip') {
    const limit = opts.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED;
    let plain: Buffer;
    try {
      plain = gunzipSync(buf.subarray(pos + BATCH_HEADER_SIZE, pos + size), { maxOutputLength: limit });
    } catch (err) {
      throw new MalformedFrameError(`gzip records do not decompress: ${(err as Error).message}`);
    }
    data = plain;
    from = 0;
    to = plain.length;
  } else {
    throw new UnsupportedCompressionError(compression);
  }

  const count = header.recordCount;
  if (count < 0 || count * MIN_RECORD_SIZE > to - from) {
    throw new MalformedFrameError(`${count} records claimed with ${to - from} bytes of records`);
  }
  const logAppendTime = (header.attributes & BatchAttr.LogAppendTime) !== 0;
  const records = new Array<RecordView>(count);
  at = from;
  for (let i = 0; i < count; i++) records[i] = recordAt(data, to, header, logAppendTime);
  if (at !== to) throw new MalformedFrameError(`${to - at} bytes after the last record of the batch`);

  return {
    header,
    size,
    compression: compression as CompressionName,
    timestampType: logAppendTime ? 'log-append' : 'create',
    transactional: (header.attributes & BatchAttr.Transactional) !== 0,
    control: (header.attributes & BatchAttr.Control) !== 0,
    records,
  };
}

/**
 * Decodes every whole batch in a records blob (a Fetch response partition's `records`). A
 * trailing partial batch is ignored, as Kafka allows; a corrupt whole batch throws.
 */
export function decodeRecords(blob: Buffer | null, opts: DecodeOptions = {}): DecodedBatch[] {
  const batches: DecodedBatch[] = [];
  if (blob === null) return batches;
  let pos = 0;
  while (blob.length - pos >= LOG_OVERHEAD) {
    const size = LOG_OVERHEAD + blob.readInt32BE(pos + 8);
    if (size > blob.length - pos) break; // partial trailing batch
    const batch = decodeRecordBatch(blob, pos, opts);
    batches.push(batch);
    pos += batch.size;
  }
  return batches;
}
