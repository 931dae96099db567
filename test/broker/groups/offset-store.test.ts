import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeOffsetRecords, type OffsetRecord } from '../../../src/broker/groups/offset-log.js';
import {
  type OffsetFlushPolicy,
  OffsetStore,
  OffsetStoreClosedError,
  type OffsetStoreOptions,
  OffsetStoreWriteError,
} from '../../../src/broker/groups/offset-store.js';
import { silentLogger } from '../../../src/log.js';

let dir: string;
const open: OffsetStore[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mq-offsets-'));
});

afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => {});
  await rm(dir, { recursive: true, force: true });
});

async function store(
  flush: OffsetFlushPolicy = { kind: 'sync' },
  opts: OffsetStoreOptions = {},
): Promise<OffsetStore> {
  const s = new OffsetStore(dir, flush, silentLogger(), opts);
  await s.open();
  open.push(s);
  return s;
}

const rec = (partition: number, offset: number, group = 'g'): OffsetRecord => ({
  group,
  topic: 't',
  partition,
  offset,
  leaderEpoch: -1,
  metadata: `m${offset}`,
  commitTimestamp: 1,
});

function counting(): { count: number; datasync: OffsetStoreOptions['datasync'] } {
  const c = { count: 0, datasync: undefined as OffsetStoreOptions['datasync'] };
  c.datasync = async (fh) => {
    c.count++;
    await fh.datasync();
  };
  return c;
}

describe('OffsetStore durability', () => {
  it('keeps the latest commit per partition across a clean reopen', async () => {
    const s = await store();
    await s.commit([rec(0, 10), rec(1, 20)]);
    await s.commit([rec(0, 11)]);
    await s.commit([rec(0, 5, 'other')]);
    await s.close();
    const again = await store();
    expect(again.get('g', 't', 0)).toMatchObject({ offset: 11, metadata: 'm11' });
    expect(again.get('g', 't', 1)?.offset).toBe(20);
    expect(again.get('other', 't', 0)?.offset).toBe(5);
    expect(again.groupIds().sort()).toEqual(['g', 'other']);
  });

  it('has every acknowledged commit on disk without a clean close (sync)', async () => {
    const s = await store();
    await s.commit([rec(0, 42)]);
    // No close: a second store reads what a crashed process left behind.
    const again = await store();
    expect(again.get('g', 't', 0)?.offset).toBe(42);
  });

  it('cuts a torn tail on open, keeps what precedes it, and appends cleanly after it', async () => {
    const s = await store();
    await s.commit([rec(0, 1)]);
    await s.commit([rec(1, 2)]);
    await s.close();
    const goodSize = (await stat(s.file)).size;
    const full = await readFile(s.file);
    // The first 30 bytes of a record, as if the process died mid-append.
    await appendFile(s.file, full.subarray(0, 30));
    const again = await store();
    expect((await stat(s.file)).size).toBe(goodSize);
    expect(again.get('g', 't', 1)?.offset).toBe(2);
    await again.commit([rec(2, 3)]);
    await again.close();
    const third = await store();
    expect([0, 1, 2].map((p) => third.get('g', 't', p)?.offset)).toEqual([1, 2, 3]);
  });

  it('compacts the log to the live offsets, keeping the latest of each', async () => {
    const s = await store({ kind: 'sync' }, { compactFactor: 2, compactMinRecords: 10 });
    for (let i = 0; i < 50; i++) await s.commit([rec(i % 3, i)]);
    const size = (await stat(s.file)).size;
    await s.close();
    const oneRecord = (await stat(s.file)).size / 3;
    expect(size).toBeLessThan(12 * oneRecord);
    const again = await store();
    expect([0, 1, 2].map((p) => again.get('g', 't', p)?.offset)).toEqual([48, 49, 47]);
  });

  it('compacts on open when the log is mostly superseded records', async () => {
    const s = await store({ kind: 'sync' }, { compactMinRecords: 1_000_000 });
    for (let i = 0; i < 40; i++) await s.commit([rec(0, i)]);
    await s.close();
    const before = (await stat(s.file)).size;
    const again = await store({ kind: 'sync' }, { compactFactor: 4, compactMinRecords: 10 });
    expect(before).toBeGreaterThan(40 * 40);
    expect((await stat(s.file)).size).toBe(encodeOffsetRecords([rec(0, 39)]).length);
    expect(again.get('g', 't', 0)?.offset).toBe(39);
  });

  it("deletes a topic's offsets durably, and compaction drops the tombstones", async () => {
    const s = await store({ kind: 'sync' }, { compactFactor: 2, compactMinRecords: 4 });
    await s.commit([rec(0, 1), rec(1, 2), { ...rec(0, 3, 'other'), topic: 'keep' }]);
    await s.deleteTopic('t');
    expect(s.get('g', 't', 0)).toBeUndefined();
    expect(s.groupIds()).toEqual(['other']);
    await s.close();
    const again = await store();
    expect(again.get('g', 't', 1)).toBeUndefined();
    expect(again.groupIds()).toEqual(['other']);
    expect((await stat(s.file)).size).toBe(
      encodeOffsetRecords([{ ...rec(0, 3, 'other'), topic: 'keep' }]).length,
    );
  });

  it('ignores a temp file left by a compaction that crashed before its rename', async () => {
    const s = await store();
    await s.commit([rec(0, 7)]);
    await s.close();
    await writeFile(`${s.file}.tmp`, 'half a compaction');
    const again = await store();
    expect(again.get('g', 't', 0)?.offset).toBe(7);
  });
});

describe('OffsetStore flush policies', () => {
  it('sync: concurrent commits share fdatasyncs (group commit)', async () => {
    const c = counting();
    const s = await store({ kind: 'sync' }, { datasync: c.datasync });
    const commits = Array.from({ length: 20 }, (_, i) => s.commit([rec(i, i)]));
    // More commits arrive while the first write is in flight.
    await new Promise((r) => setImmediate(r));
    commits.push(...Array.from({ length: 20 }, (_, i) => s.commit([rec(20 + i, i)])));
    await Promise.all(commits);
    expect(c.count).toBeGreaterThan(0);
    expect(c.count).toBeLessThanOrEqual(3);
    expect(s.get('g', 't', 39)?.offset).toBe(19);
  });

  it('sync: a commit is not visible before it is durable', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const s = await store({ kind: 'sync' }, { datasync: (fh) => gate.then(() => fh.datasync()) });
    const p = s.commit([rec(0, 1)]);
    await new Promise((r) => setTimeout(r, 20));
    expect(s.get('g', 't', 0)).toBeUndefined();
    release();
    await p;
    expect(s.get('g', 't', 0)?.offset).toBe(1);
  });

  it('os: writes without fdatasync per commit; close syncs once', async () => {
    const c = counting();
    const s = await store({ kind: 'os' }, { datasync: c.datasync });
    await s.commit([rec(0, 1)]);
    await s.commit([rec(0, 2)]);
    expect(c.count).toBe(0);
    expect((await stat(s.file)).size).toBeGreaterThan(0);
    await s.close();
    expect(c.count).toBe(1);
  });

  it('async: acknowledges at once and writes on the interval', async () => {
    const c = counting();
    const s = await store({ kind: 'async', intervalMs: 30 }, { datasync: c.datasync });
    await s.commit([rec(0, 1)]);
    expect(s.get('g', 't', 0)?.offset).toBe(1);
    expect((await stat(s.file)).size).toBe(0);
    await new Promise((r) => setTimeout(r, 120));
    expect((await stat(s.file)).size).toBeGreaterThan(0);
    expect(c.count).toBeGreaterThan(0);
  });

  it('async: close writes what is still buffered', async () => {
    const s = await store({ kind: 'async', intervalMs: 60_000 });
    await s.commit([rec(0, 9)]);
    await s.close();
    const again = await store();
    expect(again.get('g', 't', 0)?.offset).toBe(9);
  });

  it('fails the commits of a failed write, rolls the file back, and keeps working', async () => {
    let fail = true;
    const s = await store(
      { kind: 'sync' },
      {
        datasync: async (fh) => {
          if (fail) {
            fail = false;
            throw new Error('EIO');
          }
          await fh.datasync();
        },
      },
    );
    await expect(s.commit([rec(0, 1)])).rejects.toBeInstanceOf(OffsetStoreWriteError);
    expect(s.get('g', 't', 0)).toBeUndefined();
    await s.commit([rec(1, 2)]);
    await s.close();
    const again = await store();
    expect(again.get('g', 't', 0)).toBeUndefined();
    expect(again.get('g', 't', 1)?.offset).toBe(2);
  });

  it('rejects commits after close', async () => {
    const s = await store();
    await s.close();
    await expect(s.commit([rec(0, 1)])).rejects.toBeInstanceOf(OffsetStoreClosedError);
  });
});
