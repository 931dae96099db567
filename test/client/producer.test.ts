/**
 * Producer delivery rules against a scripted broker that loses acks, fails partitions and checks
 * sequence numbers like Kafka: retries resend the same bytes, idempotent sequences stay gap-free
 * and in order, ordering holds across retries, one request carries every ready partition, linger
 * waits, and errors that are not retriable fail at once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BrokerError, Producer, type ProducerOptions } from '../../src/client/index.js';
import { offsetInCall } from '../../src/client/producer.js';
import { decodeProduceRequest, encodeProduceResponse } from '../../src/protocol/apis/produce.js';
import { readBatchHeader } from '../../src/protocol/record-batch.js';
import { decodeRecordBatch, encodeRecordBatch } from '../../src/protocol/records.js';
import { type FakeBroker, type FakeRequest, fakeBroker, type Reply } from './fake-broker.js';
import { waitFor } from './helpers.js';

interface Stored {
  producerId: number;
  bytes: Buffer;
  sequence: number;
  count: number;
}

/** Per-partition logs with Kafka's sequence rules; `fail(req, partition)` injects an error code. */
function sequencedLog(fail: (produceIndex: number, partition: number) => number | 'lose' = () => 0) {
  const logs = new Map<number, Stored[]>();
  /** Next sequence per producer id and partition. */
  const expected = new Map<string, number>();
  const produces: { partitions: number[]; batches: Buffer[] }[] = [];
  const handle = (req: FakeRequest): Reply => {
    if (req.apiKey !== 0) return 'hold';
    const produce = decodeProduceRequest(req.body, req.apiVersion);
    const index = produces.length;
    const batches = produce.topicData.flatMap((t) => t.partitionData.map((p) => Buffer.from(p.records!)));
    produces.push({
      partitions: produce.topicData.flatMap((t) => t.partitionData.map((p) => p.index)),
      batches,
    });
    let lose = false;
    const responses = produce.topicData.map((t) => ({
      name: t.name,
      partitionResponses: t.partitionData.map((p) => {
        const bytes = Buffer.from(p.records!);
        const h = readBatchHeader(bytes);
        const log = logs.get(p.index) ?? [];
        logs.set(p.index, log);
        const answer = (errorCode: number, baseOffset = -1) => ({
          index: p.index,
          errorCode,
          baseOffset,
          logAppendTimeMs: -1,
          logStartOffset: 0,
        });
        const injected = fail(index, p.index);
        if (injected !== 0 && injected !== 'lose') return answer(injected);
        const offset = log.reduce((n, b) => n + b.count, 0);
        if (h.producerId >= 0) {
          const id = `${h.producerId}:${p.index}`;
          const want = expected.get(id) ?? 0;
          if (h.baseSequence < want) return answer(46); // DUPLICATE_SEQUENCE_NUMBER
          if (h.baseSequence > want) return answer(45); // OUT_OF_ORDER_SEQUENCE_NUMBER
          expected.set(id, want + h.recordCount);
        }
        log.push({ bytes, sequence: h.baseSequence, count: h.recordCount, producerId: h.producerId });
        if (injected === 'lose') lose = true; // appended, but the answer never arrives
        return answer(0, offset);
      }),
    }));
    if (lose) return 'close';
    if (produce.acks === 0) return null;
    return (w, v) => encodeProduceResponse(w, v, { responses, throttleTimeMs: 0 });
  };
  const values = (p: number) =>
    (logs.get(p) ?? []).flatMap((b) => decodeRecordBatch(b.bytes).records.map((r) => r.value!.toString()));
  return { logs, produces, handle, values };
}

let broker: FakeBroker | null = null;
afterEach(async () => {
  await broker?.close();
  broker = null;
});

async function start(
  topics: Record<string, number>,
  handle: (req: FakeRequest) => Reply,
  opts: Partial<ProducerOptions> = {},
) {
  broker = await fakeBroker(topics, handle);
  return new Producer({ bootstrap: broker.bootstrap, retryBackoffMs: 10, ...opts });
}

const records = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({ value: `${prefix}${i}` }));

describe('Producer against a scripted broker', () => {
  it('resends the same stamped bytes after a lost ack, and the duplicate is not stored twice', async () => {
    const log = sequencedLog((i) => (i === 0 ? 'lose' : 0));
    const producer = await start({ t: 1 }, log.handle, { idempotent: true, requestTimeoutMs: 2000 });
    const first = producer.sendBatch('t', 0, records('a', 10));
    const r1 = await first;
    const r2 = await producer.sendBatch('t', 0, records('b', 5));
    await producer.close();
    // The first batch reached the log in the lost request; its retry was a duplicate.
    expect(log.produces[0].batches[0].equals(log.produces[1].batches[0])).toBe(true);
    const h = readBatchHeader(log.produces[1].batches[0]);
    expect([h.producerId, h.producerEpoch, h.baseSequence]).toEqual([7, 3, 0]);
    expect(r1.baseOffset).toBe(-1); // acknowledged as a duplicate: offset unknown
    expect(r2.baseOffset).toBe(10);
    expect(log.logs.get(0)!.map((b) => b.sequence)).toEqual([0, 10]);
    expect(log.values(0)).toEqual([...records('a', 10), ...records('b', 5)].map((r) => r.value));
  });

  it('gives each record of a call spanning batches its offset, also when another producer wrote in between', async () => {
    const log = sequencedLog();
    const handle = (req: FakeRequest): Reply => {
      // After the call's first request, another producer's 5 records land in the partition.
      if (req.apiKey === 0 && log.produces.length === 1) {
        const bytes = encodeRecordBatch({
          records: records('x', 5).map((m) => ({ key: null, value: Buffer.from(m.value) })),
        });
        log.logs.get(0)!.push({ bytes, sequence: -1, count: 5, producerId: -1 });
      }
      return log.handle(req);
    };
    const producer = await start({ t: 1 }, handle, { batchSize: 64, maxInFlight: 1 });
    const r = await producer.sendBatch('t', 0, records('a', 6));
    await producer.close();
    expect(r.runs.length).toBeGreaterThan(1);
    const stored = log.values(0);
    expect(stored).toContain('x0');
    expect(Array.from({ length: 6 }, (_, i) => stored[offsetInCall(r, i)])).toEqual(
      records('a', 6).map((m) => m.value),
    );
    // Counting on from the call's first offset, as the mq driver did, lands in the other's records.
    expect(stored[r.baseOffset + 5]).not.toBe('a5');
    expect(offsetInCall({ ...r, runs: [[0, -1]] }, 3)).toBe(-1);
  });

  it('keeps an idempotent partition in order when an early batch fails with five in flight', async () => {
    // The first request's batch is refused; the broker then rejects the later ones as out of
    // order until the first is retried.
    const log = sequencedLog((i) => (i === 0 ? 6 : 0)); // NOT_LEADER_OR_FOLLOWER
    const producer = await start({ t: 1 }, log.handle, { idempotent: true, maxInFlight: 5 });
    const calls = Array.from({ length: 8 }, (_, k) => producer.sendBatch('t', 0, records(`${k}-`, 3)));
    const results = await Promise.all(calls);
    await producer.close();
    expect(results.map((r) => r.baseOffset)).toEqual([0, 3, 6, 9, 12, 15, 18, 21]);
    expect(log.logs.get(0)!.map((b) => b.sequence)).toEqual([0, 3, 6, 9, 12, 15, 18, 21]);
    expect(log.values(0)).toEqual(
      Array.from({ length: 8 }, (_, k) => records(`${k}-`, 3).map((r) => r.value)).flat(),
    );
    // More requests than batches: the ones behind the refused batch were refused too and resent.
    expect(log.produces.length).toBeGreaterThan(8);
  });

  it('keeps order across retries with maxInFlight 1 (not idempotent)', async () => {
    const log = sequencedLog((i) => (i === 1 || i === 2 ? 7 : 0)); // REQUEST_TIMED_OUT twice
    const producer = await start({ t: 1 }, log.handle, { maxInFlight: 1, batchSize: 200 });
    const sends = Array.from({ length: 30 }, (_, i) =>
      producer.send({ topic: 't', partition: 0, value: `v${i}` }),
    );
    const meta = await Promise.all(sends);
    await producer.close();
    expect(log.values(0)).toEqual(Array.from({ length: 30 }, (_, i) => `v${i}`));
    expect(meta.map((m) => m.offset)).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it('fails at once on an error that is not retriable, and after the retries on one that is', async () => {
    const log = sequencedLog((_i, p) => (p === 0 ? 10 : 7)); // MESSAGE_TOO_LARGE on 0, timeouts on 1
    const producer = await start({ t: 2 }, log.handle, { retries: 2 });
    const tooLarge = producer.send({ topic: 't', partition: 0, value: 'x' }).catch((e: unknown) => e);
    const timedOut = producer.send({ topic: 't', partition: 1, value: 'y' }).catch((e: unknown) => e);
    const e0 = (await tooLarge) as BrokerError;
    const e1 = (await timedOut) as BrokerError;
    await producer.close();
    expect(e0).toBeInstanceOf(BrokerError);
    expect([e0.errorCode, e0.retriable]).toEqual([10, false]);
    expect([e1.errorCode, e1.retriable]).toEqual([7, true]);
    const attempts = (p: number) => log.produces.filter((x) => x.partitions.includes(p)).length;
    expect(attempts(0)).toBe(1);
    expect(attempts(1)).toBe(3);
  });

  it('puts every ready partition of a broker in one request and lingers before sending', async () => {
    const log = sequencedLog();
    const producer = await start({ t: 3 }, log.handle, { lingerMs: 80 });
    await producer.connect();
    await producer.send({ topic: 't', partition: 0, value: 'warm' });
    const before = log.produces.length;
    const t0 = Date.now();
    await Promise.all(
      [0, 1, 2, 0, 1, 2].map((partition, i) => producer.send({ topic: 't', partition, value: `m${i}` })),
    );
    const waited = Date.now() - t0;
    await producer.close();
    expect(log.produces.length - before).toBe(1);
    expect(log.produces[before].partitions.sort()).toEqual([0, 1, 2]);
    expect(waited).toBeGreaterThanOrEqual(70);
    expect(log.values(1)).toEqual(['m1', 'm4']);
  });

  it('with acks=0 sends without waiting and reports unknown offsets', async () => {
    const log = sequencedLog();
    const producer = await start({ t: 1 }, log.handle, { acks: 0 });
    const r = await producer.sendBatch('t', 0, records('z', 4));
    await producer.close();
    expect(r.baseOffset).toBe(-1);
    // Nothing answers acks=0; the bytes still arrive (close flushes the socket).
    await waitFor(() => log.values(0).length === 4, 'the acks=0 batch at the broker', 2000);
    expect(log.values(0)).toEqual(['z0', 'z1', 'z2', 'z3']);
  });

  it('starts over with a new producer id when a stamped batch is given up, instead of a stuck partition', async () => {
    // Every attempt of the first batch times out until it is given up (retries: 1); the next
    // batch would leave a gap under the old producer id.
    const log = sequencedLog((i) => (i < 2 ? 7 : 0));
    const producer = await start({ t: 1 }, log.handle, { idempotent: true, retries: 1, maxInFlight: 1 });
    const lost = await producer.sendBatch('t', 0, records('lost', 2)).catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(BrokerError);
    const after = await producer.sendBatch('t', 0, records('after', 3));
    expect(after.baseOffset).toBe(0);
    expect(producer.producerId).toBe(8);
    await producer.close();
    expect(log.logs.get(0)!.map((b) => [b.producerId, b.sequence])).toEqual([[8, 0]]);
    expect(log.values(0)).toEqual(['after0', 'after1', 'after2']);
  });

  it('starts over when the broker has lost track of the producer, and keeps the order', async () => {
    // The broker forgot the producer (as after losing acknowledged writes): the first batches
    // are refused UNKNOWN_PRODUCER_ID / OUT_OF_ORDER; after a new id they go in, in order.
    let forgotten = true;
    const log = sequencedLog((i) => {
      if (i === 0) return 0;
      if (forgotten) {
        forgotten = false;
        return 59; // UNKNOWN_PRODUCER_ID
      }
      return 0;
    });
    const producer = await start({ t: 1 }, log.handle, { idempotent: true, maxInFlight: 1 });
    const results = await Promise.all(
      Array.from({ length: 4 }, (_, k) => producer.sendBatch('t', 0, records(`${k}-`, 2))),
    );
    await producer.close();
    expect(results.map((r) => r.baseOffset)).toEqual([0, 2, 4, 6]);
    expect(log.logs.get(0)!.map((b) => [b.producerId, b.sequence])).toEqual([
      [7, 0],
      [8, 0],
      [8, 2],
      [8, 4],
    ]);
    expect(log.values(0)).toEqual(['0-0', '0-1', '1-0', '1-1', '2-0', '2-1', '3-0', '3-1']);
  });
});
