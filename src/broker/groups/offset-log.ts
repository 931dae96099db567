/**
 * The committed-offsets log: `<data-dir>/groups/offsets.log`, an append-only sequence of records,
 * one per committed (group, topic, partition), the latest record for a key winning on replay. A
 * delete record (a tombstone, written when a topic is deleted) removes the key.
 *
 *   offset  size  field
 *   0       4     bodyLength   int32, bytes of body
 *   4       4     crc          uint32, CRC-32C of body
 *   8       ...   body:
 *                   version            int8    (= 1)
 *                   kind               int8    (0 = commit, 1 = delete: the fields below are kept
 *                                               but only group, topic and partition matter)
 *                   commitTimestamp    int64   ms since the epoch, set by the broker
 *                   group              string  (int16 length, UTF-8)
 *                   topic              string
 *                   partition          int32
 *                   offset             int64
 *                   leaderEpoch        int32   (-1 = none)
 *                   metadata           nullable string (int16 length, -1 = null)
 *
 * A record is valid when its whole body is present, its CRC matches and the body decodes to
 * exactly bodyLength bytes. Replay stops at the first invalid record: everything from there on
 * is a torn or corrupt tail (a crash mid-append) and is cut by the store.
 */
import { crc32c } from '@node-rs/crc32';
import { Reader } from '../../protocol/reader.js';
import { Writer } from '../../protocol/writer.js';

export const OFFSET_LOG_VERSION = 1;
/** A group id is stored as an int16-length string (as in Kafka's own offsets keys): longer ones cannot be. */
export const MAX_GROUP_ID_BYTES = 32_767;
const HEADER = 8;
/** Two int16-length names, a 4096-byte metadata limit and the fixed fields stay far below this. */
const MAX_BODY = 256 * 1024;

export interface CommittedOffset {
  offset: number;
  leaderEpoch: number;
  metadata: string | null;
  commitTimestamp: number;
}

export interface OffsetRecord extends CommittedOffset {
  group: string;
  topic: string;
  partition: number;
  /** A tombstone: the key's committed offset is gone. */
  deleted?: boolean;
}

const KIND_COMMIT = 0;
const KIND_DELETE = 1;

/** Encodes records back to back, ready to append. */
export function encodeOffsetRecords(records: readonly OffsetRecord[]): Buffer {
  const w = new Writer(128 * records.length + 64);
  for (const rec of records) {
    const body = new Writer(96)
      .int8(OFFSET_LOG_VERSION)
      .int8(rec.deleted ? KIND_DELETE : KIND_COMMIT)
      .int64(rec.commitTimestamp)
      .string(rec.group)
      .string(rec.topic)
      .int32(rec.partition)
      .int64(rec.offset)
      .int32(rec.leaderEpoch)
      .nullableString(rec.metadata)
      .toBuffer();
    w.int32(body.length).uint32(crc32c(body) >>> 0);
    w.raw(body, true);
  }
  return w.toBuffer();
}

export interface OffsetLogScan {
  records: OffsetRecord[];
  /** Bytes of valid records from the start of the file. */
  validBytes: number;
  /** Why the scan stopped before the end, or null when every byte was valid. */
  invalidReason: string | null;
}

function decodeBody(body: Buffer): OffsetRecord {
  const r = new Reader(body);
  const version = r.int8();
  if (version !== OFFSET_LOG_VERSION) throw new Error(`record version ${version}`);
  const kind = r.int8();
  if (kind !== KIND_COMMIT && kind !== KIND_DELETE) throw new Error(`record kind ${kind}`);
  const rec: OffsetRecord = {
    commitTimestamp: r.int64(),
    group: r.string(),
    topic: r.string(),
    partition: r.int32(),
    offset: r.int64(),
    leaderEpoch: r.int32(),
    metadata: r.nullableString(),
  };
  if (r.remaining !== 0) throw new Error(`${r.remaining} bytes left over in the record body`);
  if (kind === KIND_DELETE) rec.deleted = true;
  return rec;
}

/** Reads every valid record of a log image, stopping at the first invalid one. */
export function scanOffsetLog(buf: Buffer): OffsetLogScan {
  const records: OffsetRecord[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const reason = invalidAt(buf, pos);
    if (reason !== null) return { records, validBytes: pos, invalidReason: reason };
    const len = buf.readInt32BE(pos);
    try {
      records.push(decodeBody(buf.subarray(pos + HEADER, pos + HEADER + len)));
    } catch (err) {
      return { records, validBytes: pos, invalidReason: `undecodable record: ${(err as Error).message}` };
    }
    pos += HEADER + len;
  }
  return { records, validBytes: pos, invalidReason: null };
}

function invalidAt(buf: Buffer, pos: number): string | null {
  if (buf.length - pos < HEADER) return `short record header (${buf.length - pos} bytes)`;
  const len = buf.readInt32BE(pos);
  if (len <= 0 || len > MAX_BODY) return `implausible record length ${len}`;
  if (pos + HEADER + len > buf.length) return `record of ${len} bytes runs past the end`;
  const stored = buf.readUInt32BE(pos + 4);
  const actual = crc32c(buf.subarray(pos + HEADER, pos + HEADER + len)) >>> 0;
  return stored === actual ? null : `crc mismatch: stored ${stored}, computed ${actual}`;
}
