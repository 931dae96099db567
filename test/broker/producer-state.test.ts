import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProducerIdAllocatorError } from '../../src/broker/producers/producer-ids.js';
import {
  INVALID_PRODUCER_ID_MAPPING,
  type LoggedBatch,
  ProducerStateManager,
  type ProducerStateOptions,
} from '../../src/broker/producers/producer-state.js';
import { silentLogger } from '../../src/log.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { header } from './producer-batches.js';

let dir: string;
const managers: ProducerStateManager[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mq-producers-'));
});

afterEach(async () => {
  for (const m of managers.splice(0)) await m.close().catch(() => {});
  await rm(dir, { recursive: true, force: true });
});

async function manager(opts: ProducerStateOptions = {}): Promise<ProducerStateManager> {
  const m = new ProducerStateManager(dir, silentLogger(), { snapshotIntervalMs: 0, ...opts });
  await m.open();
  managers.push(m);
  return m;
}

/** A fake partition log: appends through the manager's rules, keeps headers for replay. */
class FakeLog {
  readonly batches: LoggedBatch[] = [];
  end = 0;
  constructor(
    private readonly m: ProducerStateManager,
    readonly topic = 't',
    readonly partition = 0,
  ) {}

  produce(pid: number, epoch: number, seq: number, count = 1) {
    const h = header(pid, epoch, seq, count);
    const verdict = this.m.check(this.topic, this.partition, h);
    if (verdict.kind !== 'append') return verdict;
    const baseOffset = this.end;
    this.batches.push({ h, baseOffset });
    this.end += count;
    this.m.onAppend(this.topic, this.partition, h, baseOffset);
    return { kind: 'append' as const, baseOffset };
  }

  scan = (from: number) => this.batches.filter((b) => b.baseOffset + b.h.lastOffsetDelta >= from);
}

describe('ProducerStateManager: InitProducerId', () => {
  it('hands out increasing ids that are never reused, even after a crash', async () => {
    const m1 = await manager({ idBlockSize: 3 });
    const first = await Promise.all([1, 2, 3, 4].map(() => m1.initProducerId()));
    expect(first.map((r) => [r.errorCode, r.producerEpoch])).toEqual(Array(4).fill([0, 0]));
    expect(first.map((r) => r.producerId)).toEqual([0, 1, 2, 3]);
    // A second process on the same directory, without m1 closing (a kill -9).
    const m2 = await manager({ idBlockSize: 3 });
    const next = await m2.initProducerId();
    expect(next.producerId).toBeGreaterThan(3);
  });

  it('bumps the epoch of a producer that presents its id and epoch, and answers a retry alike', async () => {
    const m = await manager();
    const { producerId } = await m.initProducerId();
    expect(await m.initProducerId(producerId, 0)).toEqual({ errorCode: 0, producerId, producerEpoch: 1 });
    expect(await m.initProducerId(producerId, 0)).toEqual({ errorCode: 0, producerId, producerEpoch: 1 });
    expect(await m.initProducerId(producerId, 1)).toEqual({ errorCode: 0, producerId, producerEpoch: 2 });
    expect((await m.initProducerId(producerId, 0)).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
    expect((await m.initProducerId(producerId + 5000, 0)).errorCode).toBe(INVALID_PRODUCER_ID_MAPPING);
  });

  it('moves to a new producer id when the epoch would overflow', async () => {
    const m = await manager();
    const { producerId } = await m.initProducerId();
    const r = await m.initProducerId(producerId, 32766);
    expect(r.producerId).not.toBe(producerId);
    expect(r.producerEpoch).toBe(0);
  });

  it('refuses to start when the producer-ids file is damaged', async () => {
    const m = await manager();
    await m.initProducerId();
    await m.close();
    const file = path.join(dir, 'producers', 'producer-ids');
    const data = await readFile(file, 'utf8');
    await writeFile(file, data.replace(/\d+}$/, '1}'));
    await expect(manager()).rejects.toBeInstanceOf(ProducerIdAllocatorError);
  });
});

describe('ProducerStateManager: batches and restarts', () => {
  it('detects a duplicate and refuses a gap through check/onAppend', async () => {
    const m = await manager();
    const log = new FakeLog(m);
    log.produce(1, 0, 0, 3);
    log.produce(1, 0, 3, 2);
    expect(log.produce(1, 0, 0, 3)).toEqual({ kind: 'duplicate', baseOffset: 0 });
    expect(log.produce(1, 0, 9, 1)).toEqual({ kind: 'error', code: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect(log.produce(1, 0, 5, 1)).toEqual({ kind: 'append', baseOffset: 5 });
    expect(log.end).toBe(6);
  });

  it('restores the state from the clean snapshot written on close', async () => {
    const m1 = await manager();
    const log = new FakeLog(m1);
    log.produce(1, 0, 0, 2);
    log.produce(1, 0, 2, 2);
    await m1.close();
    const m2 = await manager();
    expect(m2.check('t', 0, header(1, 0, 2, 2))).toEqual({ kind: 'duplicate', baseOffset: 2 });
    expect(m2.check('t', 0, header(1, 0, 4, 1))).toEqual({ kind: 'append' });
    expect(m2.check('t', 0, header(1, 0, 6, 1))).toMatchObject({ kind: 'error' });
    expect(m2.coveredOffset('t', 0)).toBe(4);
  });

  it('rebuilds batches appended after the last snapshot from the log after a crash', async () => {
    const m1 = await manager();
    const log = new FakeLog(m1);
    log.produce(1, 0, 0, 2);
    await m1.snapshot();
    log.produce(1, 0, 2, 2);
    log.produce(2, 0, 0, 1);
    // Crash: no close. The next process recovers the partition from the log.
    const m2 = await manager();
    expect(m2.coveredOffset('t', 0)).toBe(2);
    const replayed: number[] = [];
    m2.recoverPartition('t', 0, log.end, (from) => {
      const b = log.scan(from);
      replayed.push(...b.map((x) => x.baseOffset));
      return b;
    });
    expect(replayed).toEqual([2, 4]);
    expect(m2.check('t', 0, header(1, 0, 2, 2))).toEqual({ kind: 'duplicate', baseOffset: 2 });
    expect(m2.check('t', 0, header(2, 0, 0, 1))).toEqual({ kind: 'duplicate', baseOffset: 4 });
    expect(m2.check('t', 0, header(1, 0, 4, 1))).toEqual({ kind: 'append' });
  });

  it('forgets batches a crash cut from the log, so their retries are appended again', async () => {
    const m1 = await manager();
    const log = new FakeLog(m1);
    log.produce(1, 0, 0, 2);
    log.produce(1, 0, 2, 2);
    await m1.snapshot();
    // An async-flushed log lost its tail: only offsets 0-1 survived.
    const m2 = await manager();
    m2.recoverPartition('t', 0, 2, (from) => log.scan(from).filter((b) => b.baseOffset < 2));
    expect(m2.check('t', 0, header(1, 0, 2, 2))).toEqual({ kind: 'append' });
    expect(m2.check('t', 0, header(1, 0, 0, 2))).toEqual({ kind: 'duplicate', baseOffset: 0 });
  });

  it('without recovery after a crash, drops the stale state instead of refusing producers', async () => {
    const m1 = await manager();
    const log = new FakeLog(m1);
    log.produce(1, 0, 0, 2);
    await m1.snapshot();
    log.produce(1, 0, 2, 2);
    const m2 = await manager();
    // The snapshot expects sequence 2 next, the producer is at 4: accepted, not OUT_OF_ORDER.
    expect(m2.check('t', 0, header(1, 0, 4, 1))).toEqual({ kind: 'append' });
  });

  it('starts empty from a damaged snapshot', async () => {
    const m1 = await manager();
    new FakeLog(m1).produce(1, 0, 0, 2);
    await m1.close();
    await writeFile(m1.snapshotFile, 'garbage');
    const m2 = await manager();
    expect(m2.check('t', 0, header(1, 0, 0, 2))).toEqual({ kind: 'append' });
    expect(m2.coveredOffset('t', 0)).toBe(0);
  });

  it('expires producers that have been idle longer than the expiration', async () => {
    let now = 1_000_000;
    const opts = { now: () => now, producerIdExpirationMs: 60_000 };
    const m1 = await manager(opts);
    new FakeLog(m1).produce(1, 0, 0, 2);
    now += 61_000;
    await m1.close();
    const m2 = await manager(opts);
    expect(m2.check('t', 0, header(1, 0, 0, 2))).toEqual({ kind: 'append' });
  });

  it('forgets a deleted topic', async () => {
    const m = await manager();
    new FakeLog(m).produce(1, 0, 0, 2);
    m.dropTopic('t');
    expect(m.check('t', 0, header(1, 0, 0, 2))).toEqual({ kind: 'append' });
    expect(m.coveredOffset('t', 0)).toBe(0);
  });
});
