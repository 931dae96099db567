import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setBaseOffset } from '../../src/protocol/record-batch.js';
import { StorageError } from '../../src/storage/errors.js';
import { Segment, SegmentClosedError } from '../../src/storage/segment.js';
import { nodeIo } from '../../src/storage/storage-io.js';
import { batchesIn, makeBatch, TestIo, tempDir } from './fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(() => cleanup());

/** A batch of `count` records assigned `base`, as the log would hand it to the segment. */
function at(base: number, count = 1, baseTimestamp = 1000): Buffer {
  const b = makeBatch({ count, baseTimestamp });
  setBaseOffset(b, 0, base);
  return b;
}

describe('Segment', () => {
  it('appends with one write per call and reads whole batches back', async () => {
    const io = new TestIo();
    const seg = Segment.create(dir, 100, 0, io, Date.now());
    seg.append(Buffer.concat([at(100, 3), at(103, 2)]), Date.now());
    seg.append(at(105, 1), Date.now());
    expect(io.writes).toBe(2);
    expect(seg.nextOffset).toBe(106);
    expect(fs.statSync(seg.logPath).size).toBe(seg.size);
    expect(batchesIn(await seg.read(100, 1 << 20)).map((b) => b.baseOffset)).toEqual([100, 103, 105]);
    // The middle of a batch returns that whole batch.
    expect(batchesIn(await seg.read(104, 1 << 20)).map((b) => b.baseOffset)).toEqual([103, 105]);
    // maxBytes cuts at whole batches but always returns the first.
    expect(batchesIn(await seg.read(100, 10)).map((b) => b.baseOffset)).toEqual([100]);
    expect((await seg.read(106, 100)).length).toBe(0);
    seg.close();
  });

  it('indexes every indexIntervalBytes and finds batches through the index', async () => {
    const seg = Segment.create(dir, 0, 1000, nodeIo, Date.now());
    for (let i = 0; i < 200; i++) seg.append(at(i), Date.now()); // ~170 bytes each
    const index = seg.indexes.offsetIndex;
    expect(index.entries).toBeGreaterThan(20);
    expect(index.entries).toBeLessThan(40);
    for (const target of [0, 1, 57, 150, 199]) {
      const [first] = batchesIn(await seg.read(target, 1));
      expect(first.baseOffset).toBe(target);
    }
    seg.close();
  });

  it('finds the first batch at or after a timestamp', async () => {
    const seg = Segment.create(dir, 0, 0, nodeIo, Date.now());
    const ts = [5000, 4000, 7000, 7000, 9000];
    for (const [i, t] of ts.entries()) seg.append(at(i, 1, t), Date.now());
    seg.indexes.seal();
    expect(await seg.findTimestamp(0)).toEqual({ offset: 0, timestamp: 5000 });
    expect(await seg.findTimestamp(5001)).toEqual({ offset: 2, timestamp: 7000 });
    expect(await seg.findTimestamp(7000)).toEqual({ offset: 2, timestamp: 7000 });
    expect(await seg.findTimestamp(8000)).toEqual({ offset: 4, timestamp: 9000 });
    expect(await seg.findTimestamp(9001)).toBeNull();
    expect(seg.maxTimestamp).toBe(9000);
    seg.close();
  });

  it('a failed write (ENOSPC after a short write) leaves the file and the segment as they were', async () => {
    const io = new TestIo();
    const seg = Segment.create(dir, 0, 0, io, Date.now());
    seg.append(at(0), Date.now());
    const before = seg.size;
    io.failWritesAfter = 50;
    let error: unknown;
    try {
      seg.append(at(1), Date.now());
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).code).toBe('KAFKA_STORAGE_ERROR');
    expect((error as StorageError).message).toMatch(/ENOSPC.*free some space/);
    expect(seg.size).toBe(before);
    expect(seg.nextOffset).toBe(1);
    expect(fs.statSync(seg.logPath).size).toBe(before);
    io.failWritesAfter = null;
    seg.append(at(1), Date.now());
    expect(batchesIn(await seg.read(0, 1 << 20)).map((b) => b.baseOffset)).toEqual([0, 1]);
    seg.close();
  });

  it('persists index entries incrementally and truncates stale ones', async () => {
    const seg = Segment.create(dir, 0, 0, nodeIo, Date.now());
    seg.append(at(0), Date.now());
    await seg.flush();
    seg.append(at(1), Date.now());
    await seg.flush();
    expect(fs.statSync(seg.indexes.indexPath).size).toBe(16);
    seg.indexes.reset();
    await seg.indexes.persist();
    expect(fs.statSync(seg.indexes.indexPath).size).toBe(0);
    seg.close();
  });

  it('closing waits for running reads; reads after close are refused', async () => {
    const seg = Segment.create(dir, 0, 0, nodeIo, Date.now());
    seg.append(at(0), Date.now());
    const reading = seg.read(0, 1000);
    seg.close();
    expect(batchesIn(await reading)).toHaveLength(1);
    await expect(seg.read(0, 1000)).rejects.toBeInstanceOf(SegmentClosedError);
  });
});
