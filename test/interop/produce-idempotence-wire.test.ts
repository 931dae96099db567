/**
 * The idempotent producer at the Produce level, on a real broker process, with mq's own protocol
 * code and no client in between (no retries, no batching): a batch sent twice is answered with
 * its original base offset and stored once; a sequence gap is OUT_OF_ORDER_SEQUENCE_NUMBER; an
 * epoch older than the one InitProducerId handed out is fenced; and the state that recognises a
 * repeated batch survives a SIGTERM and a kill -9 restart under flush sync.
 */
import { describe, expect, it } from 'vitest';
import type { WireClient } from '../../bench/hardening/wire-client.js';
import { createTopic, fetch, produce } from '../../bench/hardening/wire-ops.js';
import {
  decodeInitProducerIdResponse,
  encodeInitProducerIdRequest,
  InitProducerIdApi,
  type InitProducerIdResponse,
} from '../../src/protocol/apis/init-producer-id.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { decodeRecords, encodeRecordBatch } from '../../src/protocol/records.js';
import { wireBroker } from '../support/wire.js';

interface Idem {
  producerId: number;
  producerEpoch: number;
}

function initProducerId(
  c: WireClient,
  version = 4,
  current: Idem = { producerId: -1, producerEpoch: -1 },
): Promise<InitProducerIdResponse> {
  return c.request(
    InitProducerIdApi,
    version,
    (w) =>
      encodeInitProducerIdRequest(w, version, {
        transactionalId: null,
        transactionTimeoutMs: 60_000,
        ...current,
      }),
    decodeInitProducerIdResponse,
  );
}

/** A new producer id (epoch 0), checked. */
async function newProducer(c: WireClient): Promise<Idem> {
  const r = await initProducerId(c);
  expect(r.errorCode).toBe(ErrorCode.NONE);
  expect(r.producerId).toBeGreaterThanOrEqual(0);
  return { producerId: r.producerId, producerEpoch: r.producerEpoch };
}

/** An idempotent batch of `values`, sequence numbers from baseSequence. A fresh buffer each call. */
function batch(p: Idem | null, baseSequence: number, values: string[]): Buffer {
  return encodeRecordBatch({
    records: values.map((v) => ({ key: null, value: Buffer.from(v) })),
    baseTimestamp: 1_700_000_000_000,
    producerId: p?.producerId ?? -1,
    producerEpoch: p?.producerEpoch ?? -1,
    baseSequence: p ? baseSequence : -1,
  });
}

/** Every value of the partition with its offset, from the log start to the log end. */
async function stored(c: WireClient, topic: string, partition = 0): Promise<[number, string][]> {
  const out: [number, string][] = [];
  let offset = 0;
  for (;;) {
    const res = await fetch(c, topic, [{ partition, offset }]);
    const p = res.responses[0].partitions[0];
    expect(p.errorCode).toBe(ErrorCode.NONE);
    const batches = decodeRecords(p.records);
    for (const b of batches) for (const r of b.records) out.push([r.offset, r.value!.toString()]);
    if (batches.length === 0 || out.length === 0 || out.at(-1)![0] + 1 >= p.highWatermark) return out;
    offset = out.at(-1)![0] + 1;
  }
}

describe('idempotent Produce on the wire', () => {
  const w = wireBroker();

  it('a batch sent again is answered with its original base offset and stored once', async () => {
    const _broker = await w.start({ flush: 'sync' });
    const c = await w.connect();
    await createTopic(c, 'idw-dup', 1);
    // Something before it, so the original base offset is not 0 by accident.
    expect(await produce(c, 'idw-dup', 0, batch(null, -1, ['plain-0', 'plain-1']))).toEqual({
      errorCode: ErrorCode.NONE,
      baseOffset: 0,
    });
    const p = await newProducer(c);
    const first = ['a0', 'a1', 'a2'];
    expect(await produce(c, 'idw-dup', 0, batch(p, 0, first))).toEqual({
      errorCode: ErrorCode.NONE,
      baseOffset: 2,
    });
    // The same batch again, on the same connection and on another one.
    expect(await produce(c, 'idw-dup', 0, batch(p, 0, first))).toEqual({
      errorCode: ErrorCode.NONE,
      baseOffset: 2,
    });
    const other = await w.connect();
    expect(await produce(other, 'idw-dup', 0, batch(p, 0, first))).toEqual({
      errorCode: ErrorCode.NONE,
      baseOffset: 2,
    });
    // The next batch continues the sequence; the first is still recognised after it.
    expect(await produce(c, 'idw-dup', 0, batch(p, 3, ['b0', 'b1']))).toEqual({
      errorCode: ErrorCode.NONE,
      baseOffset: 5,
    });
    expect(await produce(other, 'idw-dup', 0, batch(p, 0, first))).toEqual({
      errorCode: ErrorCode.NONE,
      baseOffset: 2,
    });
    expect(await stored(c, 'idw-dup')).toEqual([
      [0, 'plain-0'],
      [1, 'plain-1'],
      [2, 'a0'],
      [3, 'a1'],
      [4, 'a2'],
      [5, 'b0'],
      [6, 'b1'],
    ]);
  });

  it('a sequence gap is OUT_OF_ORDER_SEQUENCE_NUMBER and appends nothing', async () => {
    const _broker = await w.start({ flush: 'sync' });
    const c = await w.connect();
    await createTopic(c, 'idw-gap', 1);
    const p = await newProducer(c);
    expect(await produce(c, 'idw-gap', 0, batch(p, 0, ['s0', 's1']))).toEqual({
      errorCode: ErrorCode.NONE,
      baseOffset: 0,
    });
    // Sequences 0-1 are in; 3 skips 2.
    const gap = await produce(c, 'idw-gap', 0, batch(p, 3, ['s3']));
    expect(gap.errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    // Overlapping the last batch without repeating it exactly is out of order too.
    const overlap = await produce(c, 'idw-gap', 0, batch(p, 1, ['s1', 's2']));
    expect(overlap.errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(await produce(c, 'idw-gap', 0, batch(p, 2, ['s2']))).toEqual({
      errorCode: ErrorCode.NONE,
      baseOffset: 2,
    });
    expect((await stored(c, 'idw-gap')).map(([, v]) => v)).toEqual(['s0', 's1', 's2']);
  });

  it('an epoch older than the one InitProducerId handed out is fenced', async () => {
    const _broker = await w.start({ flush: 'sync' });
    const c = await w.connect();
    await createTopic(c, 'idw-epoch', 1);
    const old = await newProducer(c);
    expect(await produce(c, 'idw-epoch', 0, batch(old, 0, ['e0-0']))).toEqual({
      errorCode: ErrorCode.NONE,
      baseOffset: 0,
    });
    // The producer resumes with a bumped epoch (InitProducerId v3+ with its id and epoch).
    const bumped = await initProducerId(c, 4, old);
    expect(bumped).toMatchObject({ errorCode: ErrorCode.NONE, producerId: old.producerId, producerEpoch: 1 });
    const cur: Idem = { producerId: old.producerId, producerEpoch: 1 };

    // The zombie of epoch 0 is refused, even before the new epoch has written here.
    const zombieFirst = await produce(c, 'idw-epoch', 0, batch(old, 1, ['zombie-1']));
    expect(zombieFirst.errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(await produce(c, 'idw-epoch', 0, batch(cur, 0, ['e1-0']))).toEqual({
      errorCode: ErrorCode.NONE,
      baseOffset: 1,
    });
    const zombie = await produce(c, 'idw-epoch', 0, batch(old, 1, ['zombie-1']));
    expect(zombie.errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);

    // InitProducerId itself: once the epoch moved on twice, the old epoch is fenced with the
    // error its version knows (PRODUCER_FENCED from v4, INVALID_PRODUCER_EPOCH before).
    expect(await initProducerId(c, 4, cur)).toMatchObject({ errorCode: ErrorCode.NONE, producerEpoch: 2 });
    expect((await initProducerId(c, 4, old)).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
    expect((await initProducerId(c, 3, old)).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    const stale = await produce(c, 'idw-epoch', 0, batch(cur, 1, ['e1-1']));
    expect(stale.errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);

    expect((await stored(c, 'idw-epoch')).map(([, v]) => v)).toEqual(['e0-0', 'e1-0']);
  });

  for (const how of ['SIGTERM', 'kill -9'] as const) {
    it(`a batch resent after a ${how} restart under flush sync is answered with its original offset`, async () => {
      const broker = await w.start({ flush: 'sync' });
      let c = await w.connect();
      await createTopic(c, 'idw-restart', 1);
      expect(await produce(c, 'idw-restart', 0, batch(null, -1, ['plain']))).toEqual({
        errorCode: ErrorCode.NONE,
        baseOffset: 0,
      });
      const p = await newProducer(c);
      const values = ['r0', 'r1', 'r2', 'r3'];
      // Acked under sync: durable before the answer, so the stop below cannot lose it.
      expect(await produce(c, 'idw-restart', 0, batch(p, 0, values))).toEqual({
        errorCode: ErrorCode.NONE,
        baseOffset: 1,
      });
      c.close();
      if (how === 'SIGTERM') expect(await broker.stop()).toBe(0);
      else await broker.kill();
      await broker.restart();

      c = await w.connect();
      expect(await produce(c, 'idw-restart', 0, batch(p, 0, values))).toEqual({
        errorCode: ErrorCode.NONE,
        baseOffset: 1,
      });
      // The sequence state came back too: a gap is still a gap, the next batch continues.
      expect((await produce(c, 'idw-restart', 0, batch(p, 5, ['gap']))).errorCode).toBe(
        ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
      );
      expect(await produce(c, 'idw-restart', 0, batch(p, 4, ['r4']))).toEqual({
        errorCode: ErrorCode.NONE,
        baseOffset: 5,
      });
      expect((await stored(c, 'idw-restart')).map(([, v]) => v)).toEqual([
        'plain',
        'r0',
        'r1',
        'r2',
        'r3',
        'r4',
      ]);
    });
  }
});
