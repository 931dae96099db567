import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OffsetOutOfRangeError, StorageError } from '../../src/storage/errors.js';
import { defaultLogConfig, type LogConfig } from '../../src/storage/log-config.js';
import { PartitionLog, type PartitionLogOptions } from '../../src/storage/partition-log.js';
import { batchesIn, capturingLogger, makeBatch, silent, TestIo, tempDir } from './fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
const open: PartitionLog[] = [];
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => {
  for (const log of open.splice(0)) log.abandon();
  await cleanup();
});

function config(overrides: Partial<LogConfig> = {}): LogConfig {
  return { ...defaultLogConfig(), flush: { kind: 'os' }, ...overrides };
}

async function openLog(
  overrides: Partial<LogConfig> = {},
  options: PartitionLogOptions = {},
): Promise<PartitionLog> {
  const log = await PartitionLog.open(dir, 'orders', 0, config(overrides), silent(), options);
  open.push(log);
  return log;
}

/** Every batch from `from` to the log end, following reads across segments. */
async function readAll(log: PartitionLog, from = log.logStartOffset, maxBytes = 1 << 20) {
  const out = [];
  let offset = from;
  while (offset < log.logEndOffset) {
    const batches = batchesIn((await log.read(offset, maxBytes)).records);
    expect(batches.length).toBeGreaterThan(0);
    out.push(...batches);
    offset = batches[batches.length - 1].lastOffset + 1;
  }
  return out;
}

describe('PartitionLog append and read', () => {
  it('assigns consecutive offsets across segment rolls and reads them all back', async () => {
    const log = await openLog({ segmentBytes: 600 });
    const sizes = [3, 1, 5, 2, 8, 1, 1, 4, 6, 2, 3, 7];
    let expected = 0;
    for (const count of sizes) {
      const r = log.append(makeBatch({ count, valueSize: 50 }));
      expect(r.baseOffset).toBe(expected);
      expect(r.lastOffset).toBe(expected + count - 1);
      await r.durable;
      expected += count;
    }
    expect(log.logEndOffset).toBe(expected);
    expect(log.highWatermark).toBe(expected);
    expect(log.segmentBaseOffsets().length).toBeGreaterThan(3);
    const batches = await readAll(log);
    expect(batches.map((b) => b.lastOffset - b.baseOffset + 1)).toEqual(sizes);
    expect(batches.every((b, i) => i === 0 || b.baseOffset === batches[i - 1].lastOffset + 1)).toBe(true);
    expect(log.size).toBe(batches.reduce((n, b) => n + b.size, 0));
  });

  it('assigns offsets to every batch of a multi-batch append', async () => {
    const log = await openLog();
    const r = log.append(
      Buffer.concat([makeBatch({ count: 2 }), makeBatch({ count: 3 }), makeBatch({ count: 1 })]),
    );
    expect(r).toMatchObject({ baseOffset: 0, lastOffset: 5 });
    expect(batchesIn((await log.read(0, 1 << 20)).records).map((b) => b.baseOffset)).toEqual([0, 2, 5]);
  });

  it('a read from the middle of a batch returns that whole batch', async () => {
    const log = await openLog();
    log.append(makeBatch({ count: 10 }));
    log.append(makeBatch({ count: 10 }));
    const [first] = batchesIn((await log.read(15, 1)).records);
    expect(first).toMatchObject({ baseOffset: 10, lastOffset: 19 });
  });

  it('returns the first batch even when it is larger than maxBytes, and stops at maxBytes after it', async () => {
    const log = await openLog();
    log.append(makeBatch({ count: 1, valueSize: 5000 }));
    log.append(makeBatch({ count: 1, valueSize: 10 }));
    log.append(makeBatch({ count: 1, valueSize: 10 }));
    const one = batchesIn((await log.read(0, 100)).records);
    expect(one).toHaveLength(1);
    expect(one[0].size).toBeGreaterThan(5000);
    const small = batchesIn((await log.read(1, 100)).records);
    expect(small).toHaveLength(1);
    expect(batchesIn((await log.read(1, 1000)).records)).toHaveLength(2);
  });

  it('throws OffsetOutOfRangeError outside [logStartOffset, logEndOffset] and is empty at the end', async () => {
    const log = await openLog();
    log.append(makeBatch({ count: 5 }));
    const atEnd = await log.read(5, 1000);
    expect(atEnd).toMatchObject({ highWatermark: 5, logStartOffset: 0 });
    expect(atEnd.records.length).toBe(0);
    await expect(log.read(6, 1000)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    await expect(log.read(-1, 1000)).rejects.toMatchObject({ code: 'OFFSET_OUT_OF_RANGE' });
  });

  it('finds any offset after many appends through the sparse index', async () => {
    const log = await openLog({ segmentBytes: 64 * 1024, indexIntervalBytes: 1024 });
    const starts: number[] = [];
    for (let i = 0; i < 2000; i++)
      starts.push(log.append(makeBatch({ count: 1 + (i % 4), valueSize: 20 })).baseOffset);
    const end = log.logEndOffset;
    for (let k = 0; k < 300; k++) {
      const target = Math.floor(Math.random() * end);
      const [first] = batchesIn((await log.read(target, 1)).records);
      expect(first.baseOffset).toBeLessThanOrEqual(target);
      expect(first.lastOffset).toBeGreaterThanOrEqual(target);
    }
  });

  it('looks up offsets by timestamp at batch granularity, across segments', async () => {
    const log = await openLog({ segmentBytes: 1000, indexIntervalBytes: 0 });
    for (let i = 0; i < 30; i++) log.append(makeBatch({ count: 2, baseTimestamp: 10_000 + i * 100 }));
    // batch i holds offsets 2i, 2i+1 and has maxTimestamp 10_000 + 100 i + 1
    expect(await log.offsetForTimestamp(0)).toEqual({ offset: 0, timestamp: 10_001 });
    expect(await log.offsetForTimestamp(10_950)).toEqual({ offset: 20, timestamp: 11_001 });
    expect(await log.offsetForTimestamp(12_901)).toEqual({ offset: 58, timestamp: 12_901 });
    expect(await log.offsetForTimestamp(12_902)).toBeNull();
  });

  it('refuses an append that is not whole batches, without advancing', async () => {
    const log = await openLog();
    const b = makeBatch({ count: 3 });
    expect(() => log.append(b.subarray(0, b.length - 1))).toThrow(StorageError);
    expect(() => log.append(Buffer.alloc(0))).toThrow(StorageError);
    expect(log.logEndOffset).toBe(0);
    expect(log.append(makeBatch()).baseOffset).toBe(0);
  });
});

describe('PartitionLog retention', () => {
  it('deletes the oldest segments while the rest still holds retentionBytes, never the active one', async () => {
    const log = await openLog({ segmentBytes: 1000, retentionBytes: 2500, retentionMs: -1 });
    for (let i = 0; i < 40; i++) log.append(makeBatch({ valueSize: 100 }));
    const before = log.segmentBaseOffsets();
    const deleted = await log.enforceRetention(Date.now());
    expect(deleted).toBeGreaterThan(0);
    expect(log.segmentBaseOffsets()).toEqual(before.slice(deleted));
    expect(log.size).toBeGreaterThanOrEqual(2500);
    expect(log.size).toBeLessThan(2500 + 1000);
    expect(log.logStartOffset).toBe(before[deleted]);
    await expect(log.read(0, 100)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    expect((await readAll(log)).at(-1)?.lastOffset).toBe(39);
    const files = fs.readdirSync(path.join(dir, 'orders-0')).filter((f) => f.endsWith('.log'));
    expect(files).toHaveLength(before.length - deleted);
  });

  it('deletes segments whose newest timestamp is older than retentionMs', async () => {
    const log = await openLog({ segmentBytes: 500, retentionMs: 60_000 });
    const now = 1_700_000_000_000;
    for (let i = 0; i < 6; i++) log.append(makeBatch({ baseTimestamp: now - 120_000, valueSize: 150 }));
    for (let i = 0; i < 3; i++) log.append(makeBatch({ baseTimestamp: now - 1000, valueSize: 150 }));
    expect(log.segmentBaseOffsets()).toEqual([0, 2, 4, 6, 8]); // two batches per segment
    const deleted = await log.enforceRetention(now);
    expect(deleted).toBe(3);
    expect(log.logStartOffset).toBe(6);
    expect(await log.enforceRetention(now)).toBe(0);
    expect(await log.enforceRetention(now + 10 * 60_000)).toBe(1); // the active segment stays
    expect(log.segmentBaseOffsets()).toHaveLength(1);
  });
});

describe('PartitionLog under concurrent appends, reads and retention', () => {
  it('a reader chasing the log end while retention deletes segments sees only whole, ordered batches and keeps up', async () => {
    const log = await openLog({ segmentBytes: 2000, retentionBytes: 6000, retentionMs: -1 });
    const total = 1500;
    let written = 0;
    const writer = (async () => {
      while (written < total) {
        for (let i = 0; i < 20; i++, written++)
          log.append(makeBatch({ count: 1 + (written % 3), tag: written }));
        await new Promise((r) => setImmediate(r));
      }
    })();
    const retention = (async () => {
      while (written < total) {
        await log.enforceRetention(Date.now());
        await new Promise((r) => setTimeout(r, 1));
      }
    })();
    let offset = 0;
    let seen = 0;
    let skipped = 0;
    let lastEnd = -1;
    const deadline = Date.now() + 20_000;
    while (written < total || offset < log.logEndOffset) {
      if (Date.now() > deadline)
        throw new Error(`reader made no progress: at ${offset}, log end ${log.logEndOffset}`);
      try {
        const { records } = await log.read(offset, 3000);
        const batches = batchesIn(records);
        for (const b of batches) {
          expect(b.baseOffset).toBeGreaterThan(lastEnd);
          lastEnd = b.lastOffset;
        }
        seen += batches.length;
        if (batches.length > 0) offset = lastEnd + 1;
        else await new Promise((r) => setImmediate(r));
      } catch (err) {
        expect(err).toBeInstanceOf(OffsetOutOfRangeError);
        skipped++;
        offset = log.logStartOffset; // retention overtook the reader: jump, as a consumer would
      }
    }
    await Promise.all([writer, retention]);
    expect(offset).toBe(log.logEndOffset);
    expect(seen).toBeGreaterThan(0);
    expect(log.segmentBaseOffsets().length).toBeLessThan(10);
    expect(skipped + seen).toBeGreaterThan(0);
  });
});

describe('PartitionLog reopen', () => {
  it('a clean close and reopen continue at the same offset with the same data', async () => {
    const log = await openLog({ segmentBytes: 3000, indexIntervalBytes: 500 });
    for (let i = 0; i < 50; i++)
      log.append(makeBatch({ count: 1 + (i % 3), tag: i, baseTimestamp: 5000 + i }));
    const before = await readAll(log);
    await log.close();
    expect(fs.readFileSync(path.join(dir, 'orders-0', 'recovery-point'), 'utf8').trim()).toBe(
      String(log.logEndOffset),
    );
    const cap = capturingLogger();
    const again = await PartitionLog.open(
      dir,
      'orders',
      0,
      config({ segmentBytes: 3000, indexIntervalBytes: 500 }),
      cap.logger,
      {
        cleanShutdown: true,
      },
    );
    open.push(again);
    expect(again.logEndOffset).toBe(log.logEndOffset);
    expect(await readAll(again)).toEqual(before);
    const firstAt5049 = before.find((b) => b.maxTimestamp >= 5049)!;
    expect(await again.offsetForTimestamp(5049)).toEqual({
      offset: firstAt5049.baseOffset,
      timestamp: firstAt5049.maxTimestamp,
    });
    expect(cap.find('warn', '')).toEqual([]);
    expect(again.append(makeBatch()).baseOffset).toBe(log.logEndOffset);
    expect((await readAll(again)).length).toBe(before.length + 1);
  });

  it('reads and appends keep working after close is refused politely', async () => {
    const log = await openLog();
    log.append(makeBatch());
    await log.close();
    expect(() => log.append(makeBatch())).toThrow(/closed/);
    await expect(log.read(0, 100)).rejects.toThrow(/closed/);
  });
});

describe('PartitionLog flush policies', () => {
  it('sync: concurrent appends share fdatasyncs (group commit), and all become durable', async () => {
    const io = new TestIo();
    io.syncDelayMs = 5;
    const log = await openLog({ flush: { kind: 'sync' } }, { io });
    const synced0 = io.fdatasyncs;
    const durable: Promise<void>[] = [];
    // 20 waves of 50 appends, as if 50 producers each sent a request per wave.
    for (let wave = 0; wave < 20; wave++) {
      for (let i = 0; i < 50; i++) durable.push(log.append(makeBatch()).durable);
      await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(durable);
    const syncs = io.fdatasyncs - synced0;
    expect(syncs).toBeGreaterThan(0);
    expect(syncs).toBeLessThan(durable.length / 20);
  });

  it('sync: an fdatasync failure rejects the waiting appends and takes the log offline', async () => {
    const io = new TestIo();
    const log = await openLog({ flush: { kind: 'sync' } }, { io });
    io.failSync = true;
    const r = log.append(makeBatch());
    await expect(r.durable).rejects.toBeInstanceOf(StorageError);
    expect(() => log.append(makeBatch())).toThrow(/offline/);
  });

  it('os: durable at once, one write per append', async () => {
    const io = new TestIo();
    const log = await openLog({ flush: { kind: 'os' } }, { io });
    const writes0 = io.writes;
    const syncs0 = io.fdatasyncs;
    for (let i = 0; i < 100; i++) await log.append(makeBatch()).durable;
    expect(io.writes - writes0).toBe(100);
    expect(io.fdatasyncs - syncs0).toBe(0);
  });

  it('async: held data is readable before it is written, on disk after the interval, and lost in a crash', async () => {
    const log = await openLog({ flush: { kind: 'async', intervalMs: 100 } });
    const file = path.join(dir, 'orders-0', '00000000000000000000.log');
    for (let i = 0; i < 5; i++) await log.append(makeBatch({ count: 2, baseTimestamp: 7000 + i })).durable;
    expect(fs.statSync(file).size).toBe(0);
    expect(log.size).toBeGreaterThan(0);
    expect(batchesIn((await log.read(3, 1 << 20)).records).map((b) => b.baseOffset)).toEqual([2, 4, 6, 8]);
    // batch i holds offsets 2i, 2i+1 and has maxTimestamp 7001 + i
    expect(await log.offsetForTimestamp(7003)).toEqual({ offset: 4, timestamp: 7003 });
    await new Promise((r) => setTimeout(r, 300));
    expect(fs.statSync(file).size).toBe(log.size);
    expect(batchesIn((await log.read(0, 1 << 20)).records)).toHaveLength(5);

    // Held again, then a crash: the held appends are gone, the written ones stay.
    log.append(makeBatch());
    log.abandon();
    const again = await openLog({ flush: { kind: 'async', intervalMs: 100 } });
    expect(again.logEndOffset).toBe(10);
  });

  it('async: the timer rolls segments as it writes, and a clean reopen sees everything', async () => {
    const log = await openLog({ flush: { kind: 'async', intervalMs: 20 }, segmentBytes: 1500 });
    for (let i = 0; i < 60; i++) log.append(makeBatch({ count: 1 + (i % 2), tag: i }));
    const before = await readAll(log);
    await new Promise((r) => setTimeout(r, 100));
    expect(log.segmentBaseOffsets().length).toBeGreaterThan(5);
    expect(await readAll(log)).toEqual(before);
    await log.close();
    const again = await openLog({ flush: { kind: 'os' }, segmentBytes: 1500 }, { cleanShutdown: true });
    expect(await readAll(again)).toEqual(before);
  });

  it('async: close writes what is held', async () => {
    const log = await openLog({ flush: { kind: 'async', intervalMs: 60_000 } });
    log.append(makeBatch({ count: 3 }));
    await log.close();
    const again = await openLog({ flush: { kind: 'os' } }, { cleanShutdown: true });
    expect(again.logEndOffset).toBe(3);
  });
});

describe('PartitionLog I/O failures', () => {
  it('ENOSPC during an append throws StorageError and leaves the log as it was', async () => {
    const io = new TestIo();
    const log = await openLog({ segmentBytes: 100_000 }, { io });
    for (let i = 0; i < 3; i++) log.append(makeBatch({ tag: i }));
    const before = await readAll(log);
    const size = log.size;
    io.failWritesAfter = 40;
    expect(() => log.append(makeBatch({ count: 4 }))).toThrow(StorageError);
    io.failWritesAfter = null;
    expect(log.logEndOffset).toBe(3);
    expect(log.size).toBe(size);
    expect(await readAll(log)).toEqual(before);
    expect(log.append(makeBatch({ count: 2 })).baseOffset).toBe(3);
    await log.close();
    const again = await openLog({}, { cleanShutdown: false });
    expect((await readAll(again)).map((b) => b.baseOffset)).toEqual([0, 1, 2, 3]);
  });

  it('ENOSPC right after a roll leaves an empty active segment that takes the next append', async () => {
    const io = new TestIo();
    const log = await openLog({ segmentBytes: 400 }, { io });
    log.append(makeBatch({ valueSize: 200 }));
    io.failWritesAfter = 0;
    expect(() => log.append(makeBatch({ valueSize: 200 }))).toThrow(/ENOSPC/);
    io.failWritesAfter = null;
    expect(log.logEndOffset).toBe(1);
    expect(log.append(makeBatch({ valueSize: 200 })).baseOffset).toBe(1);
    expect((await readAll(log)).map((b) => b.baseOffset)).toEqual([0, 1]);
  });

  it('delete removes the partition directory', async () => {
    const log = await openLog();
    log.append(makeBatch());
    await log.delete();
    expect(fs.existsSync(path.join(dir, 'orders-0'))).toBe(false);
  });
});
