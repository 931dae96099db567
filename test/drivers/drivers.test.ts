/**
 * The driver contract, run against every driver: mq and kafkajs on an embedded broker, memory
 * in process. What tools rely on: receipts with per-message partitions and offsets, stamps that
 * survive the round trip, offset order per partition, start() that resolves once assigned, lag.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDriver,
  type Driver,
  DriverCapabilityError,
  describeDrivers,
  headerValue,
  type IncomingBatch,
  requireCapabilities,
  UnknownDriverError,
} from '../../src/drivers/index.js';
import type { EmbeddedBroker } from '../../src/tools/embedded-broker.js';
import { decodeStamp, encodeStamp, STAMP_HEADER } from '../../src/tools/stamp.js';
import { startBroker } from '../support/broker.js';

let broker: EmbeddedBroker;
beforeAll(async () => {
  broker = await startBroker({ flush: 'os' });
});

function collector() {
  const batches: IncomingBatch[] = [];
  let waiter: { n: number; resolve: () => void } | null = null;
  const count = () => batches.reduce((a, b) => a + b.messages.length, 0);
  return {
    batches,
    onBatch: (b: IncomingBatch) => {
      batches.push(b);
      if (waiter && count() >= waiter.n) waiter.resolve();
    },
    until: (n: number) =>
      count() >= n ? Promise.resolve() : new Promise<void>((resolve) => (waiter = { n, resolve })),
  };
}

describe.each(['mq', 'kafkajs', 'memory'])('driver %s', (name) => {
  let driver: Driver;
  const topic = `contract-${name}`;
  beforeAll(() => {
    driver = createDriver(name, {
      brokers: name === 'memory' ? 'contract' : broker.bootstrap,
      clientId: 'contract',
    });
  });
  afterAll(async () => {
    await driver.admin.deleteTopic(topic).catch(() => {});
    await driver.close();
  });

  it('creates topics (false when they exist) and counts partitions', async () => {
    expect(await driver.admin.createTopic(topic, 3)).toBe(true);
    expect(await driver.admin.createTopic(topic, 3)).toBe(false);
    expect(await driver.admin.partitionCount(topic)).toBe(3);
    expect(await driver.admin.partitionCount(`${topic}-missing`)).toBeNull();
  });

  it('sends with receipts, and a consumer sees every message in offset order with its stamp', async () => {
    const producer = driver.createProducer({ acks: -1 });
    await producer.connect();
    const explicit = await producer.send(
      topic,
      Array.from({ length: 5 }, (_, i) => ({
        value: Buffer.from(`e${i}`),
        headers: { [STAMP_HEADER]: encodeStamp({ producerId: 1, sequence: i, intendedMicros: 1000 + i }) },
        partition: 2,
      })),
    );
    expect([...explicit.partitions]).toEqual([2, 2, 2, 2, 2]);
    expect([...explicit.offsets]).toEqual([0, 1, 2, 3, 4]);
    const keyed = await producer.send(
      topic,
      ['a', 'b', 'a', 'c'].map((k, i) => ({ key: k, value: `k${i}`, headers: { note: 'x' } })),
    );
    expect(keyed.partitions[0]).toBe(keyed.partitions[2]);
    for (let i = 0; i < 4; i++) expect(keyed.offsets[i]).toBeGreaterThanOrEqual(0);
    await producer.close();

    const consumer = driver.createConsumer({ topic, fromBeginning: true });
    const got = collector();
    await consumer.start(got.onBatch);
    await got.until(9);
    await consumer.close();
    const p2 = got.batches.filter((b) => b.partition === 2).flatMap((b) => b.messages);
    const stamped = p2.filter((m) => headerValue(m, STAMP_HEADER));
    expect(stamped.map((m) => m.offset)).toEqual([0, 1, 2, 3, 4]);
    expect(stamped.map((m) => decodeStamp(headerValue(m, STAMP_HEADER))?.sequence)).toEqual([0, 1, 2, 3, 4]);
    expect(Buffer.from(stamped[4].value!).toString()).toBe('e4');
    const all = got.batches.flatMap((b) => b.messages);
    expect(all.filter((m) => Buffer.from(headerValue(m, 'note') ?? []).toString() === 'x')).toHaveLength(4);
    for (const b of got.batches) {
      const offs = b.messages.map((m) => m.offset);
      expect(offs).toEqual([...offs].sort((x, y) => x - y));
    }
  });

  it.skipIf(name === 'memory')('consumes in a group and reports lag from committed offsets', async () => {
    const group = `contract-group-${name}`;
    const consumer = driver.createConsumer({ topic, group, fromBeginning: true, autoCommit: false });
    const got = collector();
    await consumer.start(got.onBatch);
    await got.until(9);
    // Offsets count as consumed once the handler has returned: let the driver see that.
    await new Promise((r) => setImmediate(r));
    await consumer.commit();
    const lag = await driver.admin.lag(group, topic);
    expect(lag.map((l) => l.partition)).toEqual([0, 1, 2]);
    expect(lag.reduce((a, l) => a + l.lag, 0)).toBe(0);
    expect(lag.find((l) => l.partition === 2)).toMatchObject({
      endOffset: expect.any(Number),
      committed: expect.any(Number),
    });
    await consumer.close();
  });
});

describe('kafkajs driver in a rebalancing group', () => {
  it('commit() after a rebalance commits only the partitions still assigned, never setting another member back', async () => {
    const kafkajs = () => createDriver('kafkajs', { brokers: broker.bootstrap, clientId: 'rebalance' });
    const d1 = kafkajs();
    const d2 = kafkajs();
    const topic = 'kafkajs-rebalance';
    await d1.admin.createTopic(topic, 2);
    const producer = d1.createProducer();
    const send = (n: number) =>
      producer.send(
        topic,
        Array.from({ length: n }, (_, i) => ({ value: `m${i}`, partition: i % 2 })),
      );
    await send(200);
    // Highest offset + 1 seen per partition, per member.
    const reach = [new Map<number, number>(), new Map<number, number>()];
    const on = (k: number) => (b: IncomingBatch) => {
      reach[k].set(b.partition, Math.max(reach[k].get(b.partition) ?? 0, b.messages.at(-1)!.offset + 1));
    };
    const c1 = d1.createConsumer({ topic, group: 'rb', fromBeginning: true, autoCommit: false });
    await c1.start(on(0));
    await waitUntil(() => reach[0].get(0) === 100 && reach[0].get(1) === 100);
    const c2 = d2.createConsumer({ topic, group: 'rb', fromBeginning: true, autoCommit: false });
    await c2.start(on(1));
    await send(100);
    // Each member owns one partition now and has read it to 150.
    await waitUntil(() => [...reach[1].values()].includes(150));
    const moved = [...reach[1].keys()][0];
    await waitUntil(() => reach[0].get(1 - moved) === 150);
    await c2.commit();
    await c1.commit(); // c1 once read `moved` to 100: that must not be committed now
    const lag = await d1.admin.lag('rb', topic);
    expect(lag.map((p) => p.committed)).toEqual([150, 150]);
    await c1.close();
    await c2.close();
    await producer.close();
    await d1.admin.deleteTopic(topic);
    await d1.close();
    await d2.close();
  }, 90_000);
});

async function waitUntil(ok: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('driver registry and capabilities', () => {
  it('refuses unknown drivers, naming the known ones', () => {
    expect(() => createDriver('rabbit', { brokers: 'x' })).toThrow(UnknownDriverError);
    expect(() => createDriver('rabbit', { brokers: 'x' })).toThrow(/available: mq, kafkajs, memory/);
    expect(describeDrivers().map((d) => d.name)).toEqual(expect.arrayContaining(['mq', 'kafkajs', 'memory']));
  });

  it('refuses a need the driver lacks, and passes what it has', () => {
    const memory = createDriver('memory', { brokers: 'caps' });
    expect(() =>
      requireCapabilities(memory, { consumerGroups: true, idempotence: true }, 'drain-backlog'),
    ).toThrow(
      new DriverCapabilityError(
        'drain-backlog needs idempotent producers; consumer groups, which driver "memory" does not support; drop the option or pick another --driver',
      ),
    );
    const kafkajs = createDriver('kafkajs', { brokers: 'localhost:1' });
    expect(() =>
      requireCapabilities(kafkajs, { compression: 'gzip', consumerGroups: true, acks: 0 }, 'bench'),
    ).not.toThrow();
    expect(() => requireCapabilities(kafkajs, { batching: true }, 'bench')).toThrow(/producer batching/);
  });
});
