/** Admin round trip against a real `mq serve` child: topics, offsets, groups, lag, delete. */
import { beforeAll, describe, expect, it } from 'vitest';
import { Admin, BrokerError, Consumer, Producer } from '../../src/client/index.js';
import type { EmbeddedBroker } from '../../src/tools/embedded-broker.js';
import { startBroker } from '../support/broker.js';
import { collect } from './helpers.js';

let broker: EmbeddedBroker;

beforeAll(async () => {
  broker = await startBroker({ flush: 'os' });
});

describe('Admin', () => {
  it('creates, describes, lists offsets, reports group lag and deletes', async () => {
    const bootstrap = broker.bootstrap;
    const admin = new Admin({ bootstrap });
    const created = await admin.createTopics([{ topic: 'adm', partitions: 3 }, 'adm-default']);
    expect(created.map((r) => [r.topic, r.errorCode])).toEqual([
      ['adm', 0],
      ['adm-default', 0],
    ]);
    // Creating again reports TOPIC_ALREADY_EXISTS (36) without throwing, unless asked to.
    expect((await admin.createTopics(['adm'], 3))[0].errorCode).toBe(36);
    await expect(admin.createTopics(['adm'], 3, { failIfExists: true })).rejects.toBeInstanceOf(BrokerError);

    expect(await admin.listTopics()).toEqual(expect.arrayContaining(['adm', 'adm-default']));
    const [meta] = await admin.describeTopics(['adm']);
    expect(meta.partitions.map((p) => p.partition)).toEqual([0, 1, 2]);
    expect(meta.partitions.every((p) => p.leader >= 0)).toBe(true);

    const producer = new Producer({ bootstrap });
    // Two batches on partition 0 (timestamps 1000-1004 and 1005-1009): the broker looks timestamps
    // up per batch, so the second batch's first timestamp finds its first offset.
    for (const first of [0, 5]) {
      const records = Array.from({ length: 5 }, (_, i) => ({
        value: `p0-${first + i}`,
        timestamp: 1000 + first + i,
      }));
      await producer.sendBatch('adm', 0, records);
    }
    await producer.sendBatch(
      'adm',
      1,
      Array.from({ length: 5 }, (_, i) => ({ value: `p1-${i}`, timestamp: 1000 + i })),
    );
    await producer.close();
    expect((await admin.listOffsets('adm', 'latest')).map((o) => o.offset)).toEqual([10, 5, 0]);
    expect((await admin.listOffsets('adm', 'earliest')).map((o) => o.offset)).toEqual([0, 0, 0]);
    expect((await admin.listOffsets('adm', 1005)).map((o) => o.offset)).toEqual([5, -1, -1]);

    const consumer = new Consumer({
      bootstrap,
      groupId: 'g-adm',
      autoOffsetReset: 'earliest',
      maxWaitMs: 100,
    });
    consumer.subscribe({ topics: ['adm'] });
    const got = await collect(consumer, 15);
    expect(got).toHaveLength(15);
    await consumer.commit([
      { topic: 'adm', partition: 0, offset: 4 },
      { topic: 'adm', partition: 1, offset: 5 },
    ]);
    const groups = await admin.listGroups();
    expect(groups.map((g) => g.groupId)).toContain('g-adm');
    const [described] = await admin.describeGroups(['g-adm']);
    expect(described.protocolType).toBe('consumer');
    expect(described.protocol).toBe('range');
    expect(described.members).toHaveLength(1);
    expect(described.members[0].subscription?.topics).toEqual(['adm']);
    expect(described.members[0].assignment?.assignedPartitions).toEqual([
      { topic: 'adm', partitions: [0, 1, 2] },
    ]);
    await consumer.close();

    // close() auto-committed what was processed, forward only: partition 0 moved from 4 to 10,
    // partition 1 stayed at the explicit 5, partition 2 got its position (0).
    const committed = await admin.fetchCommittedOffsets('g-adm', ['adm']);
    expect(committed.map((c) => [c.partition, c.offset])).toEqual([
      [0, 10],
      [1, 5],
      [2, 0],
    ]);
    const lag = await admin.groupLag('g-adm', ['adm']);
    expect(lag.total).toBe(0);

    // Move the group back and see the lag.
    const rewind = new Consumer({ bootstrap, groupId: 'g-adm' });
    await rewind.commit([{ topic: 'adm', partition: 0, offset: 4 }]);
    await rewind.close();
    const lag2 = await admin.groupLag('g-adm', ['adm']);
    expect(lag2.partitions.map((p) => [p.partition, p.committed, p.logEnd, p.lag])).toEqual([
      [0, 4, 10, 6],
      [1, 5, 5, 0],
      [2, 0, 0, 0],
    ]);
    expect(lag2.total).toBe(6);

    await admin.deleteTopics(['adm-default']);
    expect(await admin.listTopics()).not.toContain('adm-default');
    await admin.close();
  });
});
