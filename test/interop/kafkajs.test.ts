/**
 * kafkajs against mq serve: admin, acks=-1 produce with and without gzip, read back by kcat.
 */
import { execa } from 'execa';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedBroker } from '../../src/tools/embedded-broker.js';
import { requireBinary } from '../support/binaries.js';

const kcat = requireBinary('kcat', 'apt-get install kcat');

describe('kafkajs interop', () => {
  let broker: EmbeddedBroker;
  let kafka: Kafka;

  beforeAll(async () => {
    broker = await EmbeddedBroker.start({ flush: 'sync' });
    kafka = new Kafka({
      clientId: 'mq-test',
      brokers: [broker.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 3 },
    });
  });
  afterAll(async () => {
    await broker?.close();
  });

  it('admin creates topics, reads metadata and offsets', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(
        await admin.createTopics({ topics: [{ topic: 'admin-a', numPartitions: 3 }, { topic: 'admin-b' }] }),
      ).toBe(true);
      expect(await admin.createTopics({ topics: [{ topic: 'admin-a', numPartitions: 3 }] })).toBe(false);
      const topics = await admin.listTopics();
      expect(topics).toEqual(expect.arrayContaining(['admin-a', 'admin-b']));
      const md = await admin.fetchTopicMetadata({ topics: ['admin-a'] });
      expect(md.topics[0].partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
      expect(md.topics[0].partitions.every((p) => p.leader === 0)).toBe(true);

      const producer = kafka.producer();
      await producer.connect();
      const before = Date.now();
      await producer.send({
        topic: 'admin-a',
        messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}`, partition: 1 })),
      });
      await producer.disconnect();

      const offsets = await admin.fetchTopicOffsets('admin-a');
      const p1 = offsets.find((o) => o.partition === 1)!;
      expect(p1).toMatchObject({ low: '0', high: '10', offset: '10' });
      expect(offsets.find((o) => o.partition === 0)).toMatchObject({ low: '0', high: '0' });
      const byTime = await admin.fetchTopicOffsetsByTimestamp('admin-a', before - 1000);
      expect(byTime.find((o) => o.partition === 1)?.offset).toBe('0');

      await admin.deleteTopics({ topics: ['admin-b'] });
      expect(await admin.listTopics()).not.toContain('admin-b');
    } finally {
      await admin.disconnect();
    }
  });

  for (const [label, compression] of [
    ['uncompressed', CompressionTypes.None],
    ['gzip', CompressionTypes.GZIP],
  ] as const) {
    it.skipIf(!kcat)(`acks=-1 ${label} produce is read back identically by kcat`, async () => {
      const topic = `kafkajs-${label}`;
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
      await admin.disconnect();
      const producer = kafka.producer();
      await producer.connect();
      const sent: { key: string; value: string; partition: number; offset: string }[] = [];
      for (let batch = 0; batch < 20; batch++) {
        const messages = Array.from({ length: 50 }, (_, i) => ({
          key: `k${(batch * 50 + i) % 7}`,
          value: `v-${batch * 50 + i}-${'é'.repeat(i % 5)}`,
          headers: { seq: String(batch * 50 + i) },
        }));
        const meta = await producer.send({ topic, acks: -1, compression, messages });
        expect(meta.every((m) => m.errorCode === 0)).toBe(true);
        for (const m of messages) sent.push({ key: m.key, value: m.value, partition: -1, offset: '' });
      }
      await producer.disconnect();

      const r = await execa(
        kcat!,
        ['-b', broker.bootstrap, '-t', topic, '-C', '-e', '-q', '-f', '%p\t%k\t%s\t%h\n'],
        {
          reject: false,
        },
      );
      expect(r.exitCode, r.stderr).toBe(0);
      const rows = r.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t'));
      expect(rows.length).toBe(sent.length);
      const byValue = new Map(rows.map(([p, k, v, h]) => [v, { p, k, h }]));
      for (const [i, m] of sent.entries()) {
        const got = byValue.get(m.value);
        expect(got, m.value).toBeDefined();
        expect(got!.k).toBe(m.key);
        expect(got!.h).toBe(`seq=${i}`);
      }
    });
  }
});
