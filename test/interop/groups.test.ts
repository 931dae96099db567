/**
 * Consumer groups with clients we did not write: kafkajs (3 members, takeover after a member
 * leaves, commits reaching the log end) and kcat/librdkafka (-G, 2 members, each message once),
 * plus committed offsets surviving SIGTERM and kill -9 under flush sync.
 */
import { execa, type ResultPromise } from 'execa';
import type { Consumer, Kafka } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedBroker } from '../../src/tools/embedded-broker.js';
import { requireBinary } from '../support/binaries.js';
import { kafkaFor, kcatMemberArgs, waitFor } from '../support/interop.js';

const kcat = requireBinary('kcat', 'apt-get install kcat');

async function produce(
  kafka: Kafka,
  topic: string,
  from: number,
  count: number,
  partitions: number,
): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  for (let start = from; start < from + count; start += 1000) {
    const messages = Array.from({ length: Math.min(1000, from + count - start) }, (_, i) => ({
      value: `m-${start + i}`,
      partition: (start + i) % partitions,
    }));
    await producer.send({ topic, acks: -1, messages });
  }
  await producer.disconnect();
}

describe('kafkajs consumer group', () => {
  let broker: EmbeddedBroker;
  beforeAll(async () => {
    broker = await EmbeddedBroker.start({ flush: 'os' });
  });
  afterAll(async () => {
    await broker?.close();
  });

  it('3 members share 6 partitions, the others take over when one leaves, commits reach the log end', async () => {
    const kafka = kafkaFor(broker, 'group-test');
    const topic = 'g3-topic';
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 6 }] });
    await produce(kafka, topic, 0, 30_000, 6);

    const sessionTimeout = 10_000;
    const seen = new Map<string, number>();
    const assigned: Set<number>[] = [new Set(), new Set(), new Set()];
    const consumers: Consumer[] = [];
    for (let m = 0; m < 3; m++) {
      const c = kafka.consumer({
        groupId: 'g3',
        sessionTimeout,
        heartbeatInterval: 500,
        rebalanceTimeout: 20_000,
      });
      await c.connect();
      await c.subscribe({ topic, fromBeginning: true });
      await c.run({
        eachBatch: async ({ batch }) => {
          assigned[m].add(batch.partition);
          for (const msg of batch.messages) {
            const v = msg.value!.toString();
            seen.set(v, (seen.get(v) ?? 0) + 1);
          }
        },
      });
      consumers.push(c);
    }
    await waitFor(() => seen.size >= 30_000, 60_000, 'the first 30,000 messages');
    const described = await admin.describeGroups(['g3']);
    expect(described.groups[0].state).toBe('Stable');
    expect(described.groups[0].members.length).toBe(3);

    // Member 0 leaves; its partitions must move to the others well within the session timeout.
    const before = new Set(assigned[0]);
    await consumers[0].disconnect();
    for (const s of assigned) s.clear();
    await produce(kafka, topic, 30_000, 30_000, 6);
    const took = await waitFor(() => seen.size >= 60_000, 60_000, 'all 60,000 messages');
    expect(took).toBeLessThan(sessionTimeout + 10_000);
    for (const p of before) expect(assigned[1].has(p) || assigned[2].has(p)).toBe(true);
    expect(seen.size).toBe(60_000);

    // Committed offsets reach the log end on every partition.
    await waitFor(
      async () => {
        const committed = await admin.fetchOffsets({ groupId: 'g3', topics: [topic] });
        return committed[0].partitions.every((p) => p.offset === '10000');
      },
      20_000,
      'commits to reach the log end',
    );
    await consumers[1].disconnect();
    await consumers[2].disconnect();
    const after = await admin.describeGroups(['g3']);
    expect(after.groups[0].state).toBe('Empty');
    await admin.disconnect();
  });
});

describe.skipIf(!kcat)('kcat balanced consumer group (-G)', () => {
  let broker: EmbeddedBroker;
  const procs: ResultPromise[] = [];
  beforeAll(async () => {
    broker = await EmbeddedBroker.start({ flush: 'os' });
  });
  afterAll(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await broker?.close();
  });

  it('two kcat members consume each message exactly once in steady state', async () => {
    const kafka = kafkaFor(broker, 'kcat-group');
    const topic = 'kcat-g';
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] });
    const outputs: string[] = ['', ''];
    for (let m = 0; m < 2; m++) {
      const p = execa(kcat!, kcatMemberArgs(broker.bootstrap, 'kcat-g', topic), {
        reject: false,
        buffer: false,
        stdin: 'ignore',
      });
      p.stdout!.on('data', (d: Buffer) => {
        outputs[m] += d.toString();
      });
      procs.push(p);
    }
    await waitFor(
      async () => {
        const g = await admin.describeGroups(['kcat-g']);
        return g.groups[0].state === 'Stable' && g.groups[0].members.length === 2;
      },
      30_000,
      'both kcat members to join',
    );
    await produce(kafka, topic, 0, 4000, 4);
    const lines = () => outputs.flatMap((o) => o.split('\n').filter(Boolean));
    await waitFor(() => lines().length >= 4000, 30_000, 'kcat members to read 4000 messages');
    await new Promise((r) => setTimeout(r, 500)); // any duplicate would show up by now
    const all = lines();
    expect(all.length).toBe(4000);
    expect(new Set(all.map((l) => l.split(' ')[1])).size).toBe(4000);
    // Each partition was read by exactly one member.
    const owners = outputs.map(
      (o) =>
        new Set(
          o
            .split('\n')
            .filter(Boolean)
            .map((l) => l.split(' ')[0]),
        ),
    );
    expect(owners[0].size).toBeGreaterThan(0);
    expect(owners[1].size).toBeGreaterThan(0);
    for (const p of owners[0]) expect(owners[1].has(p)).toBe(false);
    await admin.disconnect();
  });
});

describe('committed offsets survive a restart under flush sync', () => {
  let broker: EmbeddedBroker | undefined;
  afterEach(async () => {
    await broker?.close();
    broker = undefined;
  });

  for (const how of ['SIGTERM', 'kill -9'] as const) {
    it(`after ${how}`, async () => {
      broker = await EmbeddedBroker.start({ flush: 'sync' });
      const kafka = kafkaFor(broker, 'offsets');
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'off', numPartitions: 3 }] });
      await produce(kafka, 'off', 0, 300, 3);
      // A group member's commit (generation-checked) ...
      const c = kafka.consumer({ groupId: 'member-commits' });
      await c.connect();
      await c.subscribe({ topic: 'off', fromBeginning: true });
      let n = 0;
      await c.run({ autoCommit: false, eachMessage: async () => void n++ });
      await waitFor(() => n >= 300, 30_000, 'the consumer to read 300');
      await c.commitOffsets([0, 1, 2].map((p) => ({ topic: 'off', partition: p, offset: String(50 + p) })));
      await c.disconnect();
      // ... and the simple form (generation -1) on an empty group.
      await admin.setOffsets({
        groupId: 'simple',
        topic: 'off',
        partitions: [{ partition: 1, offset: '77' }],
      });
      await admin.disconnect();

      if (how === 'SIGTERM') expect(await broker.stop()).toBe(0);
      else await broker.kill();
      await broker.restart();

      const admin2 = kafkaFor(broker, 'offsets-after').admin();
      await admin2.connect();
      const member = await admin2.fetchOffsets({ groupId: 'member-commits', topics: ['off'] });
      expect(member[0].partitions.sort((a, b) => a.partition - b.partition).map((p) => p.offset)).toEqual([
        '50',
        '51',
        '52',
      ]);
      const simple = await admin2.fetchOffsets({ groupId: 'simple', topics: ['off'] });
      expect(simple[0].partitions.find((p) => p.partition === 1)?.offset).toBe('77');
      await admin2.disconnect();
    });
  }
});
