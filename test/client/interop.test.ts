/**
 * Interoperability with kafkajs 2.2.4 and kcat (librdkafka) through a real `mq serve` child:
 * records produced by one client read by the other, and consumer groups mixing clients.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { Admin, Consumer, Producer } from '../../src/client/index.js';
import { partitionForKey } from '../../src/protocol/murmur2.js';
import type { EmbeddedBroker } from '../../src/tools/embedded-broker.js';
import { requireBinary } from '../support/binaries.js';
import { startBroker } from '../support/broker.js';
import { collect, waitFor } from './helpers.js';

const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');

let broker: EmbeddedBroker;
let bootstrap: string;

beforeAll(async () => {
  broker = await startBroker({ flush: 'os' });
  bootstrap = broker.bootstrap;
});

function kafkajs() {
  return new Kafka({ clientId: 'kafkajs-interop', brokers: [bootstrap], logLevel: logLevel.NOTHING });
}

async function createTopic(topic: string, partitions: number): Promise<void> {
  const admin = new Admin({ bootstrap });
  await admin.createTopics([{ topic, partitions }]);
  await admin.close();
}

describe('interop with kafkajs', () => {
  it('mq reads what kafkajs produced, keys, headers and partitions included', async () => {
    await createTopic('from-kafkajs', 3);
    const p = kafkajs().producer();
    await p.connect();
    await p.send({
      topic: 'from-kafkajs',
      messages: Array.from({ length: 60 }, (_, i) => ({
        key: `k${i}`,
        value: `v${i}`,
        headers: { n: String(i) },
      })),
    });
    await p.disconnect();
    const c = new Consumer({ bootstrap, maxWaitMs: 100 });
    c.assign(
      [0, 1, 2].map((partition) => ({ topic: 'from-kafkajs', partition, offset: 'earliest' as const })),
    );
    const got = await collect(c, 60);
    await c.close();
    const byValue = new Map(got.map((g) => [g.record.value!.toString(), g]));
    for (let i = 0; i < 60; i++) {
      const g = byValue.get(`v${i}`)!;
      expect(g.record.key!.toString()).toBe(`k${i}`);
      expect(g.record.headers).toEqual([{ key: 'n', value: Buffer.from(String(i)) }]);
      // Same key, same partition, whichever client produced it.
      expect(g.partition).toBe(partitionForKey(Buffer.from(`k${i}`), 3));
    }
  });

  it('kafkajs reads what mq produced, plain and gzip', async () => {
    await createTopic('from-mq', 2);
    const mq = new Producer({ bootstrap });
    await mq.sendBatch(
      'from-mq',
      0,
      Array.from({ length: 20 }, (_, i) => ({ key: `a${i}`, value: `plain-${i}`, headers: { h: 'x' } })),
    );
    await mq.close();
    const gz = new Producer({ bootstrap, compression: 'gzip' });
    await gz.sendBatch(
      'from-mq',
      1,
      Array.from({ length: 20 }, (_, i) => ({ value: `gzip-${i}` })),
    );
    await gz.close();
    const c = kafkajs().consumer({ groupId: 'kjs-reader', maxWaitTimeInMs: 100 });
    await c.connect();
    await c.subscribe({ topic: 'from-mq', fromBeginning: true });
    const seen: { partition: number; offset: string; value: string; key: string | null; h?: string }[] = [];
    await c.run({
      eachMessage: async ({
        partition,
        message,
      }: {
        partition: number;
        message: { offset: string; value: Buffer; key: Buffer | null; headers: Record<string, Buffer> };
      }) => {
        seen.push({
          partition,
          offset: message.offset,
          value: message.value.toString(),
          key: message.key?.toString() ?? null,
          h: message.headers.h?.toString(),
        });
      },
    });
    await waitFor(() => seen.length >= 40, 'kafkajs to read 40 records');
    await c.disconnect();
    const p0 = seen.filter((s) => s.partition === 0);
    expect(p0.map((s) => s.value)).toEqual(Array.from({ length: 20 }, (_, i) => `plain-${i}`));
    expect(p0.map((s) => s.offset)).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    expect(p0[5]).toMatchObject({ key: 'a5', h: 'x' });
    expect(seen.filter((s) => s.partition === 1).map((s) => s.value)).toEqual(
      Array.from({ length: 20 }, (_, i) => `gzip-${i}`),
    );
  });

  it('shares a group with a default kafkajs consumer', async () => {
    await createTopic('mixed-kjs', 4);
    const kc = kafkajs().consumer({ groupId: 'g-mixed-kjs', maxWaitTimeInMs: 100, heartbeatInterval: 200 });
    await kc.connect();
    await kc.subscribe({ topic: 'mixed-kjs', fromBeginning: true });
    const kjsPartitions = new Set<number>();
    await kc.run({
      eachMessage: async ({ partition }: { partition: number }) => {
        kjsPartitions.add(partition);
      },
    });
    const ours = new Consumer({
      bootstrap,
      groupId: 'g-mixed-kjs',
      autoOffsetReset: 'earliest',
      maxWaitMs: 100,
      heartbeatIntervalMs: 200,
      rebalanceTimeoutMs: 20_000,
    });
    ours.subscribe({ topics: ['mixed-kjs'] });
    const mine = new Set<number>();
    const done = ours.run({ eachBatch: (b) => void mine.add(b.partition) });
    await waitFor(() => ours.assignment().length === 2, 'mq to get half of the partitions', 30_000);
    const p = new Producer({ bootstrap });
    for (let partition = 0; partition < 4; partition++)
      await p.sendBatch('mixed-kjs', partition, [{ value: 'x' }]);
    await p.close();
    await waitFor(() => mine.size + kjsPartitions.size === 4, 'every partition read by one member', 30_000);
    expect([...mine].sort()).toEqual(
      ours
        .assignment()
        .map((tp) => tp.partition)
        .sort(),
    );
    expect([...mine].filter((x) => kjsPartitions.has(x))).toEqual([]);
    await ours.close();
    await done;
    await kc.disconnect();
  });
});

const kcat = requireBinary('kcat', 'apt-get install kcat');

describe.skipIf(!kcat)('interop with kcat (librdkafka)', () => {
  it('shares a group with a kcat balanced consumer', async () => {
    await createTopic('mixed-kcat', 4);
    const p = new Producer({ bootstrap });
    for (let partition = 0; partition < 4; partition++) {
      await p.sendBatch('mixed-kcat', partition, [{ value: `p${partition}` }]);
    }
    const child = spawn(
      kcat!,
      [
        '-b',
        bootstrap,
        '-G',
        'g-mixed-kcat',
        '-o',
        'beginning',
        '-u',
        '-f',
        '%p\\n',
        '-X',
        'heartbeat.interval.ms=200',
        'mixed-kcat',
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    try {
      await waitFor(
        () => out.split('\n').filter(Boolean).length >= 4,
        'kcat to read every partition alone',
        30_000,
      );
      const ours = new Consumer({
        bootstrap,
        groupId: 'g-mixed-kcat',
        autoOffsetReset: 'earliest',
        maxWaitMs: 100,
        heartbeatIntervalMs: 200,
      });
      ours.subscribe({ topics: ['mixed-kcat'] });
      const againMine = new Set<number>();
      const done = ours.run({
        eachBatch: (b) => {
          if (b.records.some((r) => r.value?.toString() === 'again')) againMine.add(b.partition);
        },
      });
      await waitFor(
        () => ours.assignment().length === 2,
        'mq to get half of the partitions from kcat',
        40_000,
      );
      const mine = ours.assignment().map((tp) => tp.partition);
      const theirs = [0, 1, 2, 3].filter((x) => !mine.includes(x));
      out = '';
      for (let partition = 0; partition < 4; partition++) {
        await p.sendBatch('mixed-kcat', partition, [{ value: 'again' }]);
      }
      // kcat may read its partitions again from the start (it had not committed yet): what
      // matters is that each side reads only its own partitions after the rebalance.
      const kcatRead = () => [...new Set(out.split('\n').filter(Boolean).map(Number))].sort();
      await waitFor(
        () => kcatRead().length >= 2 && againMine.size === 2,
        'both members to read their partitions',
        30_000,
      );
      expect(kcatRead()).toEqual(theirs);
      expect([...againMine].sort()).toEqual(mine.sort());
      await ours.close();
      await done;
    } finally {
      child.kill('SIGTERM');
      await p.close();
    }
  });
});
