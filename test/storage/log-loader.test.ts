import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultLogConfig, type LogConfig } from '../../src/storage/log-config.js';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { type BatchInfo, batchesIn, capturingLogger, makeBatch, silent, tempDir } from './fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(() => cleanup());

const CONFIG: LogConfig = {
  ...defaultLogConfig(),
  flush: { kind: 'os' },
  segmentBytes: 4000,
  indexIntervalBytes: 300,
};

async function readAll(log: PartitionLog): Promise<{ batches: BatchInfo[]; bytes: Buffer[] }> {
  const batches: BatchInfo[] = [];
  const bytes: Buffer[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const { records } = await log.read(offset, 1 << 20);
    const got = batchesIn(records); // throws on any invalid batch
    let p = 0;
    for (const b of got) {
      bytes.push(Buffer.from(records.subarray(p, p + b.size)));
      p += b.size;
    }
    batches.push(...got);
    offset = got[got.length - 1].lastOffset + 1;
  }
  return { batches, bytes };
}

/** Writes `counts.length` batches into topics dir `root`, then "crashes" (abandons the log). */
async function crashedLog(root: string, counts: number[], config = CONFIG) {
  const log = await PartitionLog.open(root, 't', 0, config, silent());
  for (const [i, count] of counts.entries())
    log.append(makeBatch({ count, tag: i, valueSize: 40 + (i % 7) * 30 }));
  const { batches, bytes } = await readAll(log);
  await log.flush(); // let background roll syncs finish, so only the active segment is unflushed
  const segments = log.segmentBaseOffsets();
  log.abandon();
  const partDir = path.join(root, 't-0');
  const active = path.join(partDir, `${String(segments.at(-1)).padStart(20, '0')}.log`);
  return { batches, bytes, segments, partDir, active };
}

/** File position of each batch of the active segment, from the batches read before the crash. */
function positionsIn(batches: BatchInfo[], activeBase: number): { batch: number; position: number }[] {
  const out: { batch: number; position: number }[] = [];
  let position = 0;
  batches.forEach((b, i) => {
    if (b.baseOffset < activeBase) return;
    out.push({ batch: i, position });
    position += b.size;
  });
  return out;
}

describe('recovery after an unclean shutdown', () => {
  it('cuts a torn tail to the last whole batch, logs the cut, and appends continue (property)', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 40 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        async (counts, where) => {
          const root = path.join(dir, `run-${run++}`);
          fs.mkdirSync(root);
          const { batches, bytes, segments, active } = await crashedLog(root, counts);
          const size = fs.statSync(active).size;
          const cutAt = Math.floor(where * size);
          fs.truncateSync(active, cutAt);

          const cap = capturingLogger();
          const log = await PartitionLog.open(root, 't', 0, CONFIG, cap.logger, { cleanShutdown: false });
          const inActive = positionsIn(batches, segments.at(-1)!);
          const kept = inActive.filter((p) => p.position + batches[p.batch].size <= cutAt);
          const firstLost = inActive[kept.length];
          const keptBatches = firstLost ? firstLost.batch : batches.length;
          const got = await readAll(log);
          expect(got.batches).toEqual(batches.slice(0, keptBatches));
          expect(got.bytes).toEqual(bytes.slice(0, keptBatches));
          const cuts = cap.find('warn', 'truncated the invalid tail');
          if (firstLost && cutAt > firstLost.position) {
            expect(cuts).toHaveLength(1);
            expect(cuts[0]).toMatchObject({
              position: firstLost.position,
              bytesCut: cutAt - firstLost.position,
            });
            expect(cuts[0].reason).toEqual(expect.any(String));
          } else {
            expect(cuts).toHaveLength(0);
          }
          const expectedEnd = firstLost
            ? batches[firstLost.batch].baseOffset
            : batches.at(-1)!.lastOffset + 1;
          expect(log.logEndOffset).toBe(expectedEnd);
          expect(log.append(makeBatch({ count: 2 })).baseOffset).toBe(expectedEnd);
          expect((await readAll(log)).batches.at(-1)).toMatchObject({
            baseOffset: expectedEnd,
            lastOffset: expectedEnd + 1,
          });
          await log.close();
        },
      ),
      { numRuns: 40 },
    );
  });

  it('a single flipped bit in one of the last batches cuts the log before that batch (property)', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 25 }),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        async (counts, whichBatch, whichByte, bit) => {
          const root = path.join(dir, `run-${run++}`);
          fs.mkdirSync(root);
          const { batches, bytes, segments, active } = await crashedLog(root, counts);
          const inActive = positionsIn(batches, segments.at(-1)!);
          if (inActive.length === 0) return;
          // One of the last three batches of the active segment.
          const target = inActive[Math.max(0, inActive.length - 1 - (whichBatch % 3))];
          const byte = whichByte % batches[target.batch].size;
          const file = fs.readFileSync(active);
          file[target.position + byte] ^= 1 << bit;
          fs.writeFileSync(active, file);

          const cap = capturingLogger();
          const log = await PartitionLog.open(root, 't', 0, CONFIG, cap.logger, { cleanShutdown: false });
          const got = await readAll(log);
          if (byte >= 12 && byte < 16) {
            // partitionLeaderEpoch: outside the CRC and meaningless to a single broker; kept.
            expect(got.batches).toEqual(batches);
          } else {
            expect(got.batches).toEqual(batches.slice(0, target.batch));
            expect(got.bytes).toEqual(bytes.slice(0, target.batch));
            const cuts = cap.find('warn', 'truncated the invalid tail');
            expect(cuts).toHaveLength(1);
            expect(cuts[0]).toMatchObject({ position: target.position });
            expect(log.logEndOffset).toBe(batches[target.batch].baseOffset);
          }
          expect(log.append(makeBatch()).baseOffset).toBe(log.logEndOffset - 1);
          await log.close();
        },
      ),
      { numRuns: 60 },
    );
  });

  it('deletes every segment after the first invalid batch of an unflushed one', async () => {
    const { batches, segments, partDir } = await crashedLog(
      dir,
      Array.from({ length: 80 }, () => 2),
    );
    expect(segments.length).toBeGreaterThan(3);
    fs.rmSync(path.join(partDir, 'recovery-point')); // recover everything
    const second = path.join(partDir, `${String(segments[1]).padStart(20, '0')}.log`);
    const file = fs.readFileSync(second);
    file[200] ^= 0x10;
    fs.writeFileSync(second, file);
    const cap = capturingLogger();
    const log = await PartitionLog.open(dir, 't', 0, CONFIG, cap.logger, { cleanShutdown: false });
    expect(log.segmentBaseOffsets()).toEqual(segments.slice(0, 2));
    expect(cap.find('warn', 'deleting a segment after the invalid tail')).toHaveLength(segments.length - 2);
    const got = await readAll(log);
    expect(got.batches).toEqual(batches.slice(0, got.batches.length));
    expect(got.batches.at(-1)!.lastOffset).toBeLessThan(segments[2]);
    for (const base of segments.slice(2)) {
      expect(fs.existsSync(path.join(partDir, `${String(base).padStart(20, '0')}.log`))).toBe(false);
    }
    await log.close();
  });

  it('trusts segments below the recovery point and re-validates only from it', async () => {
    const { batches, segments, partDir } = await crashedLog(
      dir,
      Array.from({ length: 80 }, () => 2),
    );
    expect(Number(fs.readFileSync(path.join(partDir, 'recovery-point'), 'utf8'))).toBe(segments.at(-1));
    const cap = capturingLogger();
    const log = await PartitionLog.open(dir, 't', 0, CONFIG, cap.logger, { cleanShutdown: false });
    expect(cap.find('info', 're-validating')[0]).toMatchObject({ segments: 1 });
    expect((await readAll(log)).batches).toEqual(batches);
    await log.close();
  });

  it('removes leftovers: temp files and index files whose segment is gone', async () => {
    const { partDir } = await crashedLog(dir, [1, 2, 3]);
    fs.writeFileSync(path.join(partDir, 'recovery-point.tmp'), '12');
    fs.writeFileSync(path.join(partDir, '00000000000000099999.index'), Buffer.alloc(16));
    const log = await PartitionLog.open(dir, 't', 0, CONFIG, silent(), { cleanShutdown: false });
    expect(fs.existsSync(path.join(partDir, 'recovery-point.tmp'))).toBe(false);
    expect(fs.existsSync(path.join(partDir, '00000000000000099999.index'))).toBe(false);
    expect(log.logEndOffset).toBe(6);
    await log.close();
  });
});

describe('loading after a clean shutdown', () => {
  async function closedLog(counts: number[]) {
    const log = await PartitionLog.open(dir, 't', 0, CONFIG, silent());
    for (const [i, count] of counts.entries())
      log.append(makeBatch({ count, tag: i, baseTimestamp: 10_000 + i }));
    const before = await readAll(log);
    const segments = log.segmentBaseOffsets();
    await log.close();
    return { before, segments, partDir: path.join(dir, 't-0') };
  }

  it('rebuilds a corrupted index file and still finds every offset', async () => {
    const { before, segments, partDir } = await closedLog(Array.from({ length: 120 }, (_, i) => 1 + (i % 3)));
    expect(segments.length).toBeGreaterThan(2);
    const name = (base: number, suffix: string) =>
      path.join(partDir, `${String(base).padStart(20, '0')}${suffix}`);
    // Swap two entries of one index, scramble another, cut a third mid-entry.
    const idx = fs.readFileSync(name(segments[0], '.index'));
    expect(idx.length).toBeGreaterThanOrEqual(16);
    fs.writeFileSync(
      name(segments[0], '.index'),
      Buffer.concat([idx.subarray(8, 16), idx.subarray(0, 8), idx.subarray(16)]),
    );
    fs.writeFileSync(
      name(segments[1], '.index'),
      Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 37) & 0xff)),
    );
    const active = fs.readFileSync(name(segments.at(-1)!, '.index'));
    fs.writeFileSync(name(segments.at(-1)!, '.index'), active.subarray(0, Math.max(0, active.length - 3)));
    const cap = capturingLogger();
    const log = await PartitionLog.open(dir, 't', 0, CONFIG, cap.logger, { cleanShutdown: true });
    expect(cap.find('warn', 'rebuilding').length).toBeGreaterThanOrEqual(2);
    expect((await readAll(log)).batches).toEqual(before.batches);
    for (const b of before.batches) {
      const [first] = batchesIn((await log.read(b.lastOffset, 1)).records);
      expect(first).toEqual(b);
    }
    await log.close();
    // The rebuilt files are good again.
    const cap2 = capturingLogger();
    const again = await PartitionLog.open(dir, 't', 0, CONFIG, cap2.logger, { cleanShutdown: true });
    expect(cap2.find('warn', '')).toEqual([]);
    await again.close();
  });

  it('an index entry that points at the wrong batch is caught', async () => {
    const { before, segments, partDir } = await closedLog(Array.from({ length: 60 }, () => 1));
    const file = path.join(partDir, `${String(segments[0]).padStart(20, '0')}.index`);
    const idx = fs.readFileSync(file);
    idx.writeUInt32BE(idx.readUInt32BE(idx.length - 8) + 1, idx.length - 8); // last entry: offset +1
    fs.writeFileSync(file, idx);
    const cap = capturingLogger();
    const log = await PartitionLog.open(dir, 't', 0, CONFIG, cap.logger, { cleanShutdown: true });
    expect(cap.find('warn', 'rebuilding')).toHaveLength(1);
    expect((await readAll(log)).batches).toEqual(before.batches);
    await log.close();
  });

  it('garbage appended after a clean close is cut, not served', async () => {
    const { before, segments, partDir } = await closedLog([3, 3, 3]);
    fs.appendFileSync(
      path.join(partDir, `${String(segments.at(-1)).padStart(20, '0')}.log`),
      Buffer.alloc(100, 7),
    );
    const cap = capturingLogger();
    const log = await PartitionLog.open(dir, 't', 0, CONFIG, cap.logger, { cleanShutdown: true });
    expect(cap.find('warn', 'truncated the invalid tail')).toHaveLength(1);
    expect((await readAll(log)).batches).toEqual(before.batches);
    expect(log.logEndOffset).toBe(9);
    await log.close();
  });
});
