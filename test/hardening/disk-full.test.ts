/**
 * A full disk, at the process level, two ways (the unit level, an injected StorageIo failing
 * with ENOSPC, is in test/storage):
 *
 * - a small tmpfs holds the data dir (needs root and `mount`): every file the broker writes,
 *   segments, indexes, the offsets log, meets ENOSPC; "space returns" is a filler file deleted;
 * - a file-size limit (RLIMIT_FSIZE via `prlimit --pid`, which Node survives: it ignores
 *   SIGXFSZ, so writes fail with EFBIG): the segment cannot grow; "space returns" is the limit
 *   lifted.
 *
 * Either way: appends fail with KAFKA_STORAGE_ERROR and say why, nothing acknowledged is lost or
 * reordered, every batch read back passes its CRC, reads keep working while appends fail, and
 * appends resume at the next offset once there is room, without a restart; a crash afterwards
 * recovers everything. A variant that cannot run here is skipped with the reason.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WireClient } from '../../bench/hardening/wire-client.js';
import {
  commitOffset,
  committedOffset,
  createTopic,
  fetch,
  produce,
} from '../../bench/hardening/wire-ops.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { decodeRecords, encodeRecordBatch } from '../../src/protocol/records.js';
import { EmbeddedBroker } from '../../src/tools/embedded-broker.js';
import { expectAliveAndClean, findLog } from './support.js';

const KiB = 1024;
const MiB = 1024 * KiB;

function tryRun(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A tmpfs of `size` at a fresh dir, or null (with the reason) when mounting is not permitted. */
function mountTmpfs(size: string): { dir: string; unmount: () => void } | { reason: string } {
  if (process.platform !== 'linux') return { reason: 'tmpfs mounts need Linux' };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mq-full-'));
  if (!tryRun('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir])) {
    rmSync(dir, { recursive: true, force: true });
    return { reason: '`mount -t tmpfs` is not permitted (needs root)' };
  }
  return {
    dir,
    unmount: () => {
      tryRun('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function batch(i: number, bytes: number): Buffer {
  const value = Buffer.alloc(bytes, 0x61);
  value.write(`m-${i}-`);
  return encodeRecordBatch({ records: [{ key: null, value, headers: [] }], compression: 'none' });
}

/** Every record from offset 0, in order, with its offset; decodeRecords checks each batch's CRC. */
async function readAll(c: WireClient, topic: string): Promise<{ offset: number; value: string }[]> {
  const out: { offset: number; value: string }[] = [];
  for (let offset = 0, rounds = 0; rounds < 10_000; rounds++) {
    const res = await fetch(c, topic, [{ partition: 0, offset }], {
      maxBytes: 4 * MiB,
      partitionMaxBytes: 4 * MiB,
    });
    const p = res.responses[0].partitions[0];
    expect(p.errorCode).toBe(ErrorCode.NONE);
    const batches = decodeRecords(p.records);
    if (batches.length === 0) break;
    for (const b of batches) {
      for (const r of b.records) {
        if (r.offset >= offset)
          out.push({
            offset: r.offset,
            value: r.value!.subarray(0, 12).toString().split('-').slice(0, 2).join('-'),
          });
      }
    }
    offset = out[out.length - 1].offset + 1;
  }
  return out;
}

interface Run {
  broker: EmbeddedBroker;
  c: WireClient;
  acked: { offset: number; value: string }[];
}

/** Produces until the disk refuses three times in a row; returns what was acknowledged. */
async function fillUp(run: Run, topic: string, valueBytes: number): Promise<number> {
  let refusals = 0;
  for (let i = run.acked.length; i < 5000 && refusals < 3; i++) {
    const p = await produce(run.c, topic, 0, batch(i, valueBytes));
    if (p.errorCode === ErrorCode.NONE) {
      expect(p.baseOffset).toBe(run.acked.length);
      run.acked.push({ offset: p.baseOffset, value: `m-${i}` });
      refusals = 0;
    } else {
      expect(p.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
      refusals++;
    }
  }
  return refusals;
}

/** What every variant checks once the disk is full, after space returns, and after a crash. */
async function fullDiskChecks(run: Run, makeRoom: () => void, errno: RegExp): Promise<void> {
  const { c, acked } = run;
  await createTopic(c, 'full', 1);
  expect(await commitOffset(c, 'g', 'full', 0, 0)).toBe(ErrorCode.NONE);
  expect(await fillUp(run, 'full', 16 * KiB)).toBe(3);
  expect(acked.length).toBeGreaterThan(10);
  // Why appends fail is in the log, with the errno.
  const failed = findLog(run.broker, 'append failed', 'error');
  expect(failed.length).toBeGreaterThan(0);
  expect(String(failed[0].err)).toMatch(errno);
  // Reads keep working, and the log holds exactly what was acknowledged.
  expect(await readAll(c, 'full')).toEqual(acked);
  // Room again: appends resume at the next offset without a restart; commits work.
  makeRoom();
  for (let i = 0; i < 5; i++) {
    const p = await produce(c, 'full', 0, batch(10_000 + i, 16 * KiB));
    expect(p.errorCode, `append after space returned (${i})`).toBe(ErrorCode.NONE);
    expect(p.baseOffset).toBe(acked.length);
    acked.push({ offset: p.baseOffset, value: `m-${10_000 + i}` });
  }
  expect(await commitOffset(c, 'g', 'full', 0, acked.length)).toBe(ErrorCode.NONE);
  expect(await readAll(c, 'full')).toEqual(acked);
  expectAliveAndClean(run.broker);
  // A crash now loses nothing that was acknowledged.
  c.close();
  await run.broker.kill();
  await run.broker.restart();
  run.c = await WireClient.connect(run.broker.port);
  expect(await readAll(run.c, 'full')).toEqual(acked);
  expect(await committedOffset(run.c, 'g', 'full', 0)).toBe(acked.length);
}

describe('disk full', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const f of cleanups.splice(0).reverse()) await f();
  });

  it('on a full tmpfs: KAFKA_STORAGE_ERROR, consistent log, reads served, appends resume when space returns', async (ctx) => {
    const mount = mountTmpfs('6m');
    if ('reason' in mount) {
      console.warn(`skipping the tmpfs variant: ${mount.reason}`);
      ctx.skip();
      return;
    }
    cleanups.push(mount.unmount);
    const filler = path.join(mount.dir, 'filler');
    writeFileSync(filler, Buffer.alloc(2 * MiB, 1));
    const broker = await EmbeddedBroker.start({
      dataDir: path.join(mount.dir, 'data'),
      flush: 'sync',
      logLevel: 'info',
      // Rolls happen while the disk fills up: new segments, index writes, recovery points.
      extraArgs: ['--segment-bytes', '512KiB'],
    });
    cleanups.push(async () => {
      await broker.stop().catch(() => {});
    });
    const run: Run = { broker, c: await WireClient.connect(broker.port), acked: [] };
    cleanups.push(() => run.c.close());
    console.log('disk-full: simulated with a 6 MiB tmpfs (ENOSPC)');
    await fullDiskChecks(run, () => rmSync(filler), /ENOSPC/);
  }, 120_000);

  it('under a file-size limit: KAFKA_STORAGE_ERROR, consistent log, reads served, appends resume when it is lifted', async (ctx) => {
    if (process.platform !== 'linux' || !tryRun('prlimit', ['--version'])) {
      console.warn('skipping the file-size-limit variant: prlimit (util-linux) is not available');
      ctx.skip();
      return;
    }
    const broker = await EmbeddedBroker.start({
      flush: 'sync',
      logLevel: 'info',
      extraArgs: ['--segment-bytes', '64MiB'],
    });
    cleanups.push(() => broker.close());
    // Only the soft limit moves, so no privilege is needed to lift it again.
    const limit = (value: string) =>
      execFileSync('prlimit', ['--pid', String(broker.pid), `--fsize=${value}:`]);
    try {
      limit(String(1 * MiB));
    } catch (err) {
      console.warn(`skipping the file-size-limit variant: prlimit --pid failed (${(err as Error).message})`);
      ctx.skip();
      return;
    }
    const run: Run = { broker, c: await WireClient.connect(broker.port), acked: [] };
    cleanups.push(() => run.c.close());
    console.log('disk-full: simulated with RLIMIT_FSIZE of 1 MiB (EFBIG)');
    await fullDiskChecks(run, () => limit('unlimited'), /EFBIG/);
  }, 120_000);
});
