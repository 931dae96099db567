/**
 * The client's cluster view and fetch loop against a real `mq serve` child: a bootstrap list
 * whose first address is dead, metadata refreshed when a topic appears after the client
 * connected, and Fetch long-polling (a round with no data lasts maxWaitMs; data arriving during
 * the wait ends it at once).
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../../src/client/cluster.js';
import { ConnectionError } from '../../src/client/errors.js';
import { fetchRound, type PartitionState } from '../../src/client/fetcher.js';
import { Admin, Producer } from '../../src/client/index.js';
import type { EmbeddedBroker } from '../../src/tools/embedded-broker.js';
import { startBroker } from '../support/broker.js';

let broker: EmbeddedBroker;
/** A loopback port nobody listens on. */
let deadPort: number;

beforeAll(async () => {
  broker = await startBroker({ flush: 'os', defaultPartitions: 1 });
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  deadPort = (probe.address() as net.AddressInfo).port;
  await new Promise((r) => probe.close(r));
});
afterAll(async () => {
  await broker?.close();
});

async function createTopic(topic: string): Promise<void> {
  const admin = new Admin({ bootstrap: broker.bootstrap });
  try {
    await admin.createTopics([{ topic, partitions: 1 }]);
  } finally {
    await admin.close();
  }
}

function position(topic: string, fetchOffset: number): PartitionState {
  return {
    topic,
    partition: 0,
    fetchOffset,
    consumedOffset: fetchOffset,
    committedOffset: -1,
    reset: false,
    maxBytes: 1 << 20,
    highWatermark: -1,
  };
}

const settings = (maxWaitMs: number) => ({
  maxWaitMs,
  minBytes: 1,
  maxBytes: 1 << 20,
  requestTimeoutMs: 5000,
  maxPartitionBytesLimit: 1 << 20,
});

describe('cluster', () => {
  it('bootstraps past a dead address in the list, and fails clearly when none answers', async () => {
    const cluster = new Cluster({ bootstrap: `127.0.0.1:${deadPort},${broker.bootstrap}` });
    try {
      await cluster.connect();
      expect(cluster.brokerList().map((b) => `${b.host}:${b.port}`)).toEqual([broker.bootstrap]);
    } finally {
      await cluster.close();
    }
    const none = new Cluster({ bootstrap: [`127.0.0.1:${deadPort}`, `127.0.0.1:${deadPort}`] });
    try {
      const err = await none.connect().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ConnectionError);
      expect((err as ConnectionError).retriable).toBe(true);
      expect((err as Error).message).toContain(`no broker reachable (tried 127.0.0.1:${deadPort}`);
    } finally {
      await none.close();
    }
  });

  it('learns a topic created after it connected once it is asked for (metadata refresh)', async () => {
    const cluster = new Cluster({ bootstrap: broker.bootstrap, allowAutoTopicCreation: false });
    try {
      await cluster.connect(['late-topic']);
      expect(cluster.leaderFor('late-topic', 0)).toBe(-1);
      await createTopic('late-topic');
      cluster.invalidate('late-topic');
      await cluster.connect(['late-topic']);
      expect(cluster.leaderFor('late-topic', 0)).toBe(cluster.brokerList()[0].nodeId);
    } finally {
      await cluster.close();
    }
  });
});

describe('fetch long-poll', () => {
  it('a round with nothing to read waits maxWaitMs; a record produced meanwhile ends it at once', async () => {
    await createTopic('long-poll');
    const cluster = new Cluster({ bootstrap: broker.bootstrap });
    const producer = new Producer({ bootstrap: broker.bootstrap });
    try {
      await cluster.connect(['long-poll']);
      // Nothing there: the broker holds the request for maxWaitMs and answers empty.
      let t0 = Date.now();
      let round = await fetchRound(cluster, [position('long-poll', 0)], settings(800));
      const idle = Date.now() - t0;
      expect(round.errors).toEqual([]);
      expect(round.answers[0].data.records?.length ?? 0).toBe(0);
      expect(idle).toBeGreaterThanOrEqual(750);
      // A record 300 ms into a 10 s wait: the answer comes when it is appended, with it.
      t0 = Date.now();
      const pending = fetchRound(cluster, [position('long-poll', 0)], settings(10_000));
      setTimeout(() => void producer.send({ topic: 'long-poll', partition: 0, value: 'wake' }), 300);
      round = await pending;
      const woke = Date.now() - t0;
      expect(round.errors).toEqual([]);
      expect(round.answers[0].data.records?.length ?? 0).toBeGreaterThan(0);
      expect(woke).toBeGreaterThanOrEqual(250);
      expect(woke).toBeLessThan(5000);
    } finally {
      await producer.close();
      await cluster.close();
    }
  });
});
