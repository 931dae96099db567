/**
 * Producer and consumer against a real `mq serve` child: exact content and order per partition,
 * Kafka's key partitioning, sendBatch, idempotence, gzip, acks 0/1, and positions.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Admin, Consumer, Producer } from '../../src/client/index.js';
import { partitionForKey } from '../../src/protocol/murmur2.js';
import type { EmbeddedBroker } from '../../src/tools/embedded-broker.js';
import { startBroker } from '../support/broker.js';
import { byPartition, collect } from './helpers.js';

let broker: EmbeddedBroker;
let bootstrap: string;

beforeAll(async () => {
  broker = await startBroker({ flush: 'os', defaultPartitions: 1 });
  bootstrap = broker.bootstrap;
});

async function createTopic(topic: string, partitions: number): Promise<void> {
  const admin = new Admin({ bootstrap });
  try {
    await admin.createTopics([{ topic, partitions }]);
  } finally {
    await admin.close();
  }
}

function consumerFrom(topic: string, partitions: number): Consumer {
  const c = new Consumer({ bootstrap, maxWaitMs: 100 });
  c.assign(
    Array.from({ length: partitions }, (_, partition) => ({ topic, partition, offset: 'earliest' as const })),
  );
  return c;
}

describe('producer → broker → consumer', () => {
  it('delivers keyed records with exact content and order per partition', async () => {
    await createTopic('keyed', 4);
    const producer = new Producer({ bootstrap, lingerMs: 2 });
    const N = 3000;
    const sent = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        producer.send({
          topic: 'keyed',
          key: `key-${i % 41}`,
          value: `value-${i}`,
          headers: { i: String(i) },
        }),
      ),
    );
    await producer.close();
    for (let i = 0; i < N; i++) {
      expect(sent[i].partition).toBe(partitionForKey(Buffer.from(`key-${i % 41}`), 4));
    }
    const consumer = consumerFrom('keyed', 4);
    const got = await collect(consumer, N);
    await consumer.close();
    expect(got).toHaveLength(N);
    const expected = byPartition(sent.map((m, i) => ({ ...m, i })));
    const actual = byPartition(got);
    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [p, list] of expected) {
      const recs = actual.get(p)!;
      expect(recs.map((r) => r.record.value!.toString())).toEqual(list.map((m) => `value-${m.i}`));
      expect(recs.map((r) => r.record.key!.toString())).toEqual(list.map((m) => `key-${m.i % 41}`));
      expect(recs.map((r) => r.record.offset)).toEqual(list.map((m) => m.offset));
      expect(recs.map((r) => r.record.headers[0].value!.toString())).toEqual(list.map((m) => String(m.i)));
      // Offsets of a partition are dense from 0.
      expect(recs.map((r) => r.record.offset)).toEqual(recs.map((_, k) => k));
    }
  });

  it('sendBatch resolves once per call with the first offset; batches split at batchSize', async () => {
    await createTopic('batched', 2);
    const producer = new Producer({ bootstrap, batchSize: 2048, maxInFlight: 3 });
    const value = Buffer.alloc(100, 0x61);
    const calls = [];
    for (let c = 0; c < 20; c++) {
      const records = Array.from({ length: 250 }, (_, i) => ({
        value,
        headers: [{ key: 'n', value: String(c * 250 + i) }],
      }));
      calls.push(producer.sendBatch('batched', c % 2, records));
    }
    const results = await Promise.all(calls);
    await producer.close();
    expect(results.filter((r) => r.partition === 0).map((r) => r.baseOffset)).toEqual([
      0, 250, 500, 750, 1000, 1250, 1500, 1750, 2000, 2250,
    ]);
    expect(results.every((r) => r.count === 250)).toBe(true);
    const consumer = consumerFrom('batched', 2);
    const got = await collect(consumer, 5000);
    await consumer.close();
    const p1 = got.filter((g) => g.partition === 1).map((g) => Number(g.record.headers[0].value!.toString()));
    expect(p1).toEqual(
      results
        .filter((r) => r.partition === 1)
        .flatMap((_r, k) => Array.from({ length: 250 }, (_, i) => (2 * k + 1) * 250 + i)),
    );
  });

  it('an idempotent producer gets sequential offsets and a producer id', async () => {
    await createTopic('idem', 1);
    const producer = new Producer({ bootstrap, idempotent: true, maxInFlight: 5, batchSize: 1024 });
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, c) =>
        producer.sendBatch(
          'idem',
          0,
          Array.from({ length: 100 }, (_, i) => ({ value: `${c}:${i}` })),
        ),
      ),
    );
    expect(producer.producerId).toBeGreaterThanOrEqual(0);
    expect(producer.producerEpoch).toBeGreaterThanOrEqual(0);
    expect(results.map((r) => r.baseOffset)).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
    const singles = await Promise.all(
      Array.from({ length: 50 }, (_, i) => producer.send({ topic: 'idem', value: `s${i}` })),
    );
    expect(singles.map((s) => s.offset)).toEqual(Array.from({ length: 50 }, (_, i) => 1000 + i));
    await producer.close();
    const consumer = consumerFrom('idem', 1);
    const got = await collect(consumer, 1050);
    await consumer.close();
    expect(got.slice(0, 1000).map((g) => g.record.value!.toString())).toEqual(
      Array.from({ length: 1000 }, (_, k) => `${Math.floor(k / 100)}:${k % 100}`),
    );
  });

  it('round-trips gzip batches, acks=1 and acks=0', async () => {
    await createTopic('modes', 1);
    const gz = new Producer({ bootstrap, compression: 'gzip' });
    await gz.sendBatch(
      'modes',
      0,
      Array.from({ length: 100 }, (_, i) => ({ key: `g${i}`, value: 'z'.repeat(200) })),
    );
    await gz.close();
    const one = new Producer({ bootstrap, acks: 1 });
    const m = await one.send({ topic: 'modes', value: 'acks-one', partition: 0 });
    expect(m.offset).toBe(100);
    await one.close();
    const zero = new Producer({ bootstrap, acks: 0 });
    const r = await zero.send({ topic: 'modes', value: 'acks-zero', partition: 0 });
    expect(r.offset).toBe(-1);
    await zero.close();
    const consumer = consumerFrom('modes', 1);
    const got = await collect(consumer, 102);
    await consumer.close();
    expect(got[42].record.key!.toString()).toBe('g42');
    expect(got[42].record.value!.toString()).toBe('z'.repeat(200));
    expect(got.slice(100).map((g) => g.record.value!.toString())).toEqual(['acks-one', 'acks-zero']);
  });

  it('starts at latest, at an explicit offset, and mid-batch', async () => {
    await createTopic('positions', 1);
    const producer = new Producer({ bootstrap });
    await producer.sendBatch(
      'positions',
      0,
      Array.from({ length: 10 }, (_, i) => ({ value: `a${i}` })),
    );
    const mid = new Consumer({ bootstrap, maxWaitMs: 100 });
    mid.assign([{ topic: 'positions', partition: 0, offset: 7 }]);
    expect((await collect(mid, 3)).map((g) => g.record.value!.toString())).toEqual(['a7', 'a8', 'a9']);
    await mid.close();
    const latest = new Consumer({ bootstrap, maxWaitMs: 100, autoOffsetReset: 'latest' });
    latest.assign([{ topic: 'positions', partition: 0 }]);
    const pending = collect(latest, 2);
    await new Promise((r) => setTimeout(r, 500));
    await producer.sendBatch('positions', 0, [{ value: 'b0' }, { value: 'b1' }]);
    expect((await pending).map((g) => [g.record.offset, g.record.value!.toString()])).toEqual([
      [10, 'b0'],
      [11, 'b1'],
    ]);
    await latest.close();
    await producer.close();
  });

  it('can be closed from inside its own handler', async () => {
    await createTopic('self-close', 1);
    const producer = new Producer({ bootstrap });
    await producer.sendBatch('self-close', 0, [{ value: 'only' }]);
    await producer.close();
    const consumer = consumerFrom('self-close', 1);
    let handled = 0;
    await consumer.run({
      eachBatch: async () => {
        handled++;
        await consumer.close();
      },
    });
    expect(handled).toBe(1);
  });
});
