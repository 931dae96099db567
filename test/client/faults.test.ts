/**
 * The client across a stalled broker (SIGSTOP past the request timeout, so requests time out
 * after the broker has them, and are written when it resumes) and a crash (SIGKILL) with restart:
 * an idempotent producer retries with the same sequence numbers, so every record is stored
 * exactly once and in order; a consumer reconnects and goes on from its position.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Admin, Consumer, Producer } from '../../src/client/index.js';
import type { EmbeddedBroker } from '../../src/tools/embedded-broker.js';
import { startBroker } from '../support/broker.js';
import { collect, waitFor } from './helpers.js';

let broker: EmbeddedBroker;
let bootstrap: string;

beforeAll(async () => {
  broker = await startBroker({ flush: 'os' });
  bootstrap = broker.bootstrap;
  const admin = new Admin({ bootstrap });
  await admin.createTopics([
    { topic: 'crash-idem', partitions: 2 },
    { topic: 'crash-read', partitions: 1 },
    { topic: 'crash-group', partitions: 2 },
  ]);
  await admin.close();
});

describe('broker crash and restart', () => {
  it('an idempotent producer stores every record exactly once, in order, across a stall and a crash', async () => {
    const producer = new Producer({
      bootstrap,
      idempotent: true,
      retries: 100,
      retryBackoffMs: 50,
      batchSize: 4096,
      ackTimeoutMs: 500,
      requestTimeoutMs: 500,
    });
    const sends: Promise<unknown>[] = [];
    let n = 0;
    let stop = false;
    const pump = (async () => {
      while (!stop) {
        const batch = Array.from({ length: 20 }, () => ({ value: String(n++) }));
        sends.push(producer.sendBatch('crash-idem', n % 2, batch));
        if (sends.length % 10 === 0) await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await waitFor(() => n > 20_000, 'records in flight before the stall');
    // Requests sent now time out on the client; the broker appends them when it resumes, and the
    // retries that follow must not be appended again.
    broker.pause();
    await new Promise((r) => setTimeout(r, 1500));
    broker.resume();
    await waitFor(() => n > 40_000, 'records after the stall', 30_000);
    await broker.kill();
    await new Promise((r) => setTimeout(r, 300));
    await broker.restart();
    await waitFor(() => n > 80_000, 'records after the restart', 30_000);
    stop = true;
    await pump;
    await Promise.all(sends);
    await producer.close();

    const consumer = new Consumer({ bootstrap, maxWaitMs: 100 });
    consumer.assign(
      [0, 1].map((partition) => ({ topic: 'crash-idem', partition, offset: 'earliest' as const })),
    );
    const got = await collect(consumer, n, 60_000);
    await consumer.close();
    const values = got.map((g) => Number(g.record.value!.toString()));
    expect(values.length).toBe(n);
    expect(new Set(values).size).toBe(n);
    for (const p of [0, 1]) {
      const mine = got.filter((g) => g.partition === p).map((g) => Number(g.record.value!.toString()));
      expect(mine).toEqual([...mine].sort((a, b) => a - b));
    }
  });

  it('a consumer goes on reading after the broker restarts', async () => {
    const producer = new Producer({ bootstrap });
    await producer.sendBatch(
      'crash-read',
      0,
      Array.from({ length: 100 }, (_, i) => ({ value: `a${i}` })),
    );
    const consumer = new Consumer({ bootstrap, maxWaitMs: 100, requestTimeoutMs: 3000 });
    consumer.assign([{ topic: 'crash-read', partition: 0, offset: 'earliest' }]);
    const seen: string[] = [];
    const done = consumer.run({
      eachBatch: (b) => {
        for (const r of b.records) seen.push(r.value!.toString());
      },
    });
    await waitFor(() => seen.length === 100, 'the first 100 records');
    await broker.kill();
    await new Promise((r) => setTimeout(r, 300));
    await broker.restart();
    await producer.sendBatch(
      'crash-read',
      0,
      Array.from({ length: 100 }, (_, i) => ({ value: `b${i}` })),
    );
    await waitFor(() => seen.length === 200, 'the records produced after the restart', 30_000);
    expect(seen).toEqual([
      ...Array.from({ length: 100 }, (_, i) => `a${i}`),
      ...Array.from({ length: 100 }, (_, i) => `b${i}`),
    ]);
    await consumer.close();
    await done;
    await producer.close();
  });

  it('a group member rejoins after the broker restarts and goes on from its commits', async () => {
    const producer = new Producer({ bootstrap });
    const produce = (prefix: string) =>
      Promise.all(
        [0, 1].map((p) =>
          producer.sendBatch(
            'crash-group',
            p,
            Array.from({ length: 50 }, (_, i) => ({ value: `${prefix}${p}-${i}` })),
          ),
        ),
      );
    await produce('a');
    const consumer = new Consumer({
      bootstrap,
      groupId: 'g-crash',
      autoOffsetReset: 'earliest',
      maxWaitMs: 100,
      heartbeatIntervalMs: 100,
      autoCommitIntervalMs: 100,
      requestTimeoutMs: 3000,
    });
    consumer.subscribe({ topics: ['crash-group'] });
    const seen = new Set<string>();
    const done = consumer.run({
      eachBatch: (b) => {
        for (const r of b.records) seen.add(r.value!.toString());
      },
    });
    await waitFor(() => seen.size === 100, 'the first 100 records');
    // Let an auto-commit store the positions, then crash.
    await new Promise((r) => setTimeout(r, 400));
    await broker.kill();
    await new Promise((r) => setTimeout(r, 300));
    await broker.restart();
    await produce('b');
    await waitFor(() => seen.size === 200, 'the records produced after the restart', 30_000);
    expect(consumer.assignment().length).toBe(2);
    await consumer.close();
    await done;
    await producer.close();
  });
});
