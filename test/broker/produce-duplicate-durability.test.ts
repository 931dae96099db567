/**
 * A repeated idempotent batch is not appended again: it is answered with the original's offset.
 * Under flush sync that answer must not go out before the original is durable. These tests hold
 * the group commit's fdatasync (a StorageIo that parks it) while the original waits for it, send
 * the same batch on another connection, as a client does after a request timeout, and check that
 * the duplicate is answered only when the sync is done, and with the original's outcome when the
 * sync fails.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WireClient } from '../../bench/hardening/wire-client.js';
import { createTopic, produce } from '../../bench/hardening/wire-ops.js';
import { Broker } from '../../src/broker/broker.js';
import { defaultBrokerConfig } from '../../src/broker/config.js';
import { silentLogger } from '../../src/log.js';
import {
  decodeInitProducerIdResponse,
  encodeInitProducerIdRequest,
  InitProducerIdApi,
} from '../../src/protocol/apis/init-producer-id.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { encodeRecordBatch } from '../../src/protocol/records.js';
import { nodeIo, type StorageIo } from '../../src/storage/index.js';

interface Parked {
  fd: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** nodeIo, except that while `holding` every fdatasync waits for release(). */
class HeldSyncIo implements StorageIo {
  holding = false;
  readonly parked: Parked[] = [];
  writeSync = nodeIo.writeSync;
  writevSync = nodeIo.writevSync;
  ftruncateSync = nodeIo.ftruncateSync;

  fdatasync(fd: number): Promise<void> {
    if (!this.holding) return nodeIo.fdatasync(fd);
    return new Promise((resolve, reject) => this.parked.push({ fd, resolve, reject }));
  }

  /** Lets the parked syncs run (or fail with `err`) and stops holding. */
  release(err?: Error): void {
    this.holding = false;
    for (const p of this.parked.splice(0)) {
      if (err) p.reject(err);
      else nodeIo.fdatasync(p.fd).then(p.resolve, p.reject);
    }
  }
}

async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Resolves with whether `p` settled within ms. */
function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([
    p.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((r) => setTimeout(() => r(false), ms)),
  ]);
}

describe('a repeated idempotent batch under flush sync', () => {
  let broker: Broker | undefined;
  let dir: string | undefined;
  let heldIo: HeldSyncIo | undefined;
  const clients: WireClient[] = [];
  afterEach(async () => {
    heldIo?.release(); // a failed check must not leave the broker's stop waiting on a parked sync
    for (const c of clients.splice(0)) c.close();
    await broker?.stop().catch(() => {});
    broker = undefined;
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  /** A broker in this process on a held-sync io, a topic, two connections and an idempotent batch. */
  async function setup() {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mq-dup-durable-'));
    const io = new HeldSyncIo();
    heldIo = io;
    const config = defaultBrokerConfig(dir);
    config.port = 0;
    config.log = { ...config.log, flush: { kind: 'sync' } };
    broker = await Broker.start(config, silentLogger(), { io });
    const [a, b] = [
      await WireClient.connect(broker.address.port),
      await WireClient.connect(broker.address.port),
    ];
    clients.push(a, b);
    await createTopic(a, 'dup-sync', 1);
    const init = await a.request(
      InitProducerIdApi,
      4,
      (w) =>
        encodeInitProducerIdRequest(w, 4, {
          transactionalId: null,
          transactionTimeoutMs: 60_000,
          producerId: -1,
          producerEpoch: -1,
        }),
      decodeInitProducerIdResponse,
    );
    expect(init.errorCode).toBe(ErrorCode.NONE);
    const batch = () =>
      encodeRecordBatch({
        records: [{ key: null, value: Buffer.from('once') }],
        producerId: init.producerId,
        producerEpoch: init.producerEpoch,
        baseSequence: 0,
      });
    return { io, a, b, batch };
  }

  /**
   * The original on connection a, held in its fdatasync; then the same batch on connection b,
   * which must still be unanswered 300 ms later (without the wait it is answered at once).
   */
  async function duplicateDuringSync() {
    const { io, a, b, batch } = await setup();
    io.holding = true;
    const original = produce(a, 'dup-sync', 0, batch());
    await until(() => io.parked.length > 0, "the original's fdatasync to start");
    const duplicate = produce(b, 'dup-sync', 0, batch());
    expect(await settlesWithin(duplicate, 300)).toBe(false);
    expect(await settlesWithin(original, 0)).toBe(false);
    return { io, b, batch, original, duplicate };
  }

  it('is answered only once the original is synced', async () => {
    const { io, b, batch, original, duplicate } = await duplicateDuringSync();
    io.release();
    expect(await original).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 0 });
    expect(await duplicate).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 0 });
    expect(broker!.logs.getLog('dup-sync', 0)!.logEndOffset).toBe(1);
    // Once durable, a repeat is answered at once.
    expect(await produce(b, 'dup-sync', 0, batch())).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 0 });
  });

  it('gets the storage error the original gets when the sync fails, and so does a later retry', async () => {
    const { io, b, batch, original, duplicate } = await duplicateDuringSync();
    io.release(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    expect((await original).errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    expect((await duplicate).errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    // The batch may not be on disk: a retry after the failure is no duplicate of anything durable.
    expect((await produce(b, 'dup-sync', 0, batch())).errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
  });
});
