/**
 * Test fixtures for the storage engine: RecordBatch v2 bytes written by hand (61-byte header,
 * zigzag-varint records, CRC-32C over bytes 21..end), a temp data dir, a logger whose lines a
 * test can read, and a StorageIo that counts fdatasyncs and can make writes fail.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { crc32c } from '@node-rs/crc32';
import { type Logger, pino } from 'pino';
import { batchSize, validateBatch } from '../../src/protocol/record-batch.js';
import { nodeIo, type StorageIo } from '../../src/storage/storage-io.js';

function varint(n: number, out: number[]): void {
  let v = n >= 0 ? n * 2 : -n * 2 - 1; // zigzag, exact for |n| < 2^52
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

export interface BatchSpec {
  /** Records in the batch (default 1). */
  count?: number;
  /** Bytes of each record's value (default 100). */
  valueSize?: number;
  /** Timestamp of the first record; record i gets baseTimestamp + i (default 1_000). */
  baseTimestamp?: number;
  /** Written into the value bytes so a test can tell batches apart. */
  tag?: number;
}

/** One RecordBatch v2 with baseOffset 0, as a producer sends it. */
export function makeBatch(spec: BatchSpec = {}): Buffer {
  const count = spec.count ?? 1;
  const valueSize = spec.valueSize ?? 100;
  const baseTimestamp = spec.baseTimestamp ?? 1_000;
  const records: number[] = [];
  for (let i = 0; i < count; i++) {
    const body: number[] = [0]; // attributes
    varint(i, body); // timestampDelta
    varint(i, body); // offsetDelta
    varint(-1, body); // null key
    varint(valueSize, body);
    for (let b = 0; b < valueSize; b++) body.push(((spec.tag ?? 0) + i + b) & 0xff);
    varint(0, body); // headers
    varint(body.length, records);
    records.push(...body);
  }
  const buf = Buffer.alloc(61 + records.length);
  buf.writeInt32BE(buf.length - 12, 8);
  buf.writeInt8(2, 16);
  buf.writeInt16BE(0, 21);
  buf.writeInt32BE(count - 1, 23);
  writeInt64(buf, 27, baseTimestamp);
  writeInt64(buf, 35, baseTimestamp + count - 1);
  writeInt64(buf, 43, -1);
  buf.writeInt16BE(-1, 51);
  buf.writeInt32BE(-1, 53);
  buf.writeInt32BE(count, 57);
  Buffer.from(records).copy(buf, 61);
  buf.writeUInt32BE(crc32c(buf.subarray(21)) >>> 0, 17);
  return buf;
}

function writeInt64(buf: Buffer, pos: number, v: number): void {
  const hi = Math.floor(v / 4294967296);
  buf.writeInt32BE(hi, pos);
  buf.writeUInt32BE(v - hi * 4294967296, pos + 4);
}

export interface BatchInfo {
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  size: number;
}

/** The batches in a read result; fails the test if any is not a valid, whole batch. */
export function batchesIn(records: Buffer): BatchInfo[] {
  const out: BatchInfo[] = [];
  for (let p = 0; p < records.length; ) {
    const reason = validateBatch(records, p, records.length);
    if (reason !== null) throw new Error(`invalid batch at ${p}: ${reason}`);
    const size = batchSize(records, p);
    const baseOffset = records.readInt32BE(p) * 4294967296 + records.readUInt32BE(p + 4);
    out.push({
      baseOffset,
      lastOffset: baseOffset + records.readInt32BE(p + 23),
      maxTimestamp: records.readInt32BE(p + 35) * 4294967296 + records.readUInt32BE(p + 39),
      size,
    });
    p += size;
  }
  return out;
}

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mq-storage-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true, maxRetries: 5 }) };
}

export interface CapturedLogger {
  logger: Logger;
  lines: Record<string, unknown>[];
  /** Lines at `level` whose msg contains `text`. */
  find(level: 'warn' | 'info' | 'error', text: string): Record<string, unknown>[];
}

export function capturingLogger(): CapturedLogger {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
      cb();
    },
  });
  const logger = pino({ level: 'debug' }, stream);
  const levels = { info: 30, warn: 40, error: 50 };
  return {
    logger,
    lines,
    find: (level, text) => lines.filter((l) => l.level === levels[level] && String(l.msg).includes(text)),
  };
}

export function silent(): Logger {
  return pino({ level: 'silent' });
}

/** nodeIo with counters, and a switch that makes writes fail like a full disk. */
export class TestIo implements StorageIo {
  fdatasyncs = 0;
  writes = 0;
  /** While set, writes throw ENOSPC after writing this many bytes of the request (a short write first). */
  failWritesAfter: number | null = null;
  /** fdatasync rejects with EIO while set. */
  failSync = false;
  /** Extra latency of each fdatasync, to let appends pile up behind it. */
  syncDelayMs = 0;

  writeSync(fd: number, buffer: Buffer, offset: number, length: number, position: number): number {
    this.writes++;
    if (this.failWritesAfter !== null) {
      if (this.failWritesAfter > 0 && this.failWritesAfter < length) {
        const n = nodeIo.writeSync(fd, buffer, offset, this.failWritesAfter, position);
        this.failWritesAfter = 0;
        return n;
      }
      throw enospc();
    }
    return nodeIo.writeSync(fd, buffer, offset, length, position);
  }

  writevSync(fd: number, buffers: readonly Buffer[], position: number): number {
    this.writes++;
    if (this.failWritesAfter !== null) throw enospc();
    return nodeIo.writevSync(fd, buffers, position);
  }

  ftruncateSync(fd: number, length: number): void {
    nodeIo.ftruncateSync(fd, length);
  }

  async fdatasync(fd: number): Promise<void> {
    this.fdatasyncs++;
    if (this.syncDelayMs > 0) await new Promise((r) => setTimeout(r, this.syncDelayMs));
    if (this.failSync) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
    return nodeIo.fdatasync(fd);
  }
}

function enospc(): Error {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
}
