/**
 * Consumer groups against a real `mq serve` child: two members split the partitions, the one
 * left takes all after the other leaves, and committed offsets survive a member and a broker
 * restart.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Admin,
  Consumer,
  type ConsumerOptions,
  Producer,
  type TopicPartition,
} from '../../src/client/index.js';
import type { EmbeddedBroker } from '../../src/tools/embedded-broker.js';
import { startBroker } from '../support/broker.js';
import { collect, waitFor } from './helpers.js';

let broker: EmbeddedBroker;
let bootstrap: string;

beforeAll(async () => {
  broker = await startBroker({ flush: 'os', defaultPartitions: 1 });
  bootstrap = broker.bootstrap;
});

const fast: Partial<ConsumerOptions> = {
  maxWaitMs: 100,
  heartbeatIntervalMs: 100,
  sessionTimeoutMs: 6000,
  rebalanceTimeoutMs: 10_000,
  autoOffsetReset: 'earliest',
};

async function produce(
  topic: string,
  partitions: number,
  perPartition: number,
  prefix: string,
): Promise<void> {
  const producer = new Producer({ bootstrap });
  await Promise.all(
    Array.from({ length: partitions }, (_, p) =>
      producer.sendBatch(
        topic,
        p,
        Array.from({ length: perPartition }, (_, i) => ({ value: `${prefix}-${p}-${i}` })),
      ),
    ),
  );
  await producer.close();
}

describe('consumer groups', () => {
  it('splits partitions between two members, and gives all to the one left', async () => {
    const admin = new Admin({ bootstrap });
    await admin.createTopics([{ topic: 'grp', partitions: 4 }]);
    await produce('grp', 4, 50, 'a');
    const seen = new Set<string>();
    const events: string[] = [];
    const member = (name: string) => {
      const c = new Consumer({
        bootstrap,
        groupId: 'g-split',
        ...fast,
        onAssign: (tps: TopicPartition[]) => {
          events.push(`${name}+${tps.length}`);
        },
        onRevoke: (tps: TopicPartition[]) => {
          events.push(`${name}-${tps.length}`);
        },
      });
      c.subscribe({ topics: ['grp'] });
      const done = c.run({
        eachBatch: (b) => {
          for (const r of b.records) seen.add(r.value!.toString());
        },
      });
      return { c, done };
    };
    const one = member('one');
    await waitFor(() => one.c.assignment().length === 4, 'the first member to get all partitions');
    const two = member('two');
    await waitFor(
      () => one.c.assignment().length === 2 && two.c.assignment().length === 2,
      'the two members to split the partitions',
    );
    const all = [...one.c.assignment(), ...two.c.assignment()].map((tp) => tp.partition).sort();
    expect(all).toEqual([0, 1, 2, 3]);
    await waitFor(() => seen.size === 200, 'all 200 records');
    await two.c.close();
    await two.done;
    await waitFor(() => one.c.assignment().length === 4, 'the remaining member to take all partitions');
    await produce('grp', 4, 10, 'b');
    await waitFor(() => seen.size === 240, 'the records produced after the rebalance');
    await one.c.close();
    await one.done;
    expect(events.slice(0, 2)).toEqual(['one+4', 'one-4']);
    expect(events).toContain('two+2');
    const lag = await admin.groupLag('g-split');
    expect(lag.total).toBe(0);
    expect(lag.partitions.map((p) => p.committed)).toEqual([60, 60, 60, 60]);
    await admin.close();
  });

  it('resumes from the committed offset after a member restart and a broker restart', async () => {
    await produce('resume', 1, 100, 'r');
    const first = new Consumer({ bootstrap, groupId: 'g-resume', autoCommit: false, ...fast });
    first.subscribe({ topics: ['resume'] });
    const got = await collect(first, 100);
    expect(got[0].record.offset).toBe(0);
    await first.commit([{ topic: 'resume', partition: 0, offset: 60 }]);
    await first.close();

    const second = new Consumer({ bootstrap, groupId: 'g-resume', ...fast });
    second.subscribe({ topics: ['resume'] });
    const rest = await collect(second, 40);
    expect(rest.map((g) => g.record.value!.toString())).toEqual(
      Array.from({ length: 40 }, (_, i) => `r-0-${60 + i}`),
    );
    await second.close(); // auto-commit on close stores 100

    await broker.stop();
    await broker.restart();
    await produce('resume', 1, 5, 's');
    const third = new Consumer({ bootstrap, groupId: 'g-resume', ...fast });
    third.subscribe({ topics: ['resume'] });
    const after = await collect(third, 5);
    expect(after.map((g) => [g.record.offset, g.record.value!.toString()])).toEqual(
      Array.from({ length: 5 }, (_, i) => [100 + i, `s-0-${i}`]),
    );
    await third.close();
    const committed = await new Consumer({ bootstrap, groupId: 'g-resume' }).committed([
      { topic: 'resume', partition: 0 },
    ]);
    expect(committed[0].offset).toBe(105);
  });
});
