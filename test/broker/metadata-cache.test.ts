/**
 * Metadata answers are cached per (version, topics asked) until a topic is created or deleted:
 * every answer must still be the current one, for each version and topic set, and a request that
 * auto-creates a topic is never answered from the cache.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WireClient } from '../../bench/hardening/wire-client.js';
import { metadata } from '../../bench/hardening/wire-ops.js';
import { Admin, Producer } from '../../src/client/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { EmbeddedBroker } from '../../src/tools/embedded-broker.js';

describe('Metadata answer cache', () => {
  let broker: EmbeddedBroker;
  let admin: Admin;
  beforeAll(async () => {
    broker = await EmbeddedBroker.start({ flush: 'os' });
    admin = new Admin({ bootstrap: `127.0.0.1:${broker.port}` });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.close();
    await broker?.close();
  });

  it('answers with the current topics after creates and deletes, for every topic set', async () => {
    const c = await WireClient.connect(broker.port);
    const partitionsOf = async (topics: string[] | null) =>
      Object.fromEntries(
        (await metadata(c, topics)).topics.map((t) => [t.name, [t.errorCode, t.partitions.length]]),
      );
    await admin.createTopics([{ topic: 'mc-a', partitions: 3 }]);
    expect(await partitionsOf(['mc-a'])).toEqual({ 'mc-a': [ErrorCode.NONE, 3] });
    expect(await partitionsOf(['mc-a'])).toEqual({ 'mc-a': [ErrorCode.NONE, 3] });
    expect(await partitionsOf(['mc-b'])).toEqual({ 'mc-b': [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 0] });
    await admin.createTopics([{ topic: 'mc-b', partitions: 2 }]);
    expect(await partitionsOf(['mc-b'])).toEqual({ 'mc-b': [ErrorCode.NONE, 2] });
    expect(await partitionsOf(null)).toMatchObject({ 'mc-a': [0, 3], 'mc-b': [0, 2] });
    await admin.deleteTopics(['mc-a']);
    await admin.createTopics([{ topic: 'mc-a', partitions: 5 }]);
    expect(await partitionsOf(['mc-a', 'mc-b'])).toEqual({ 'mc-a': [0, 5], 'mc-b': [0, 2] });
    expect(await partitionsOf(['mc-a'])).toEqual({ 'mc-a': [0, 5] });
    await admin.deleteTopics(['mc-b']);
    expect(await partitionsOf(null)).not.toHaveProperty('mc-b');
    c.close();
  });

  it('other versions get their own answers (a v1 client after a v9 one), and auto-creation still happens', async () => {
    await admin.createTopics([{ topic: 'mc-v', partitions: 4 }]);
    const c = await WireClient.connect(broker.port);
    expect((await metadata(c, ['mc-v'])).topics[0].partitions).toHaveLength(4);
    const unknown = await metadata(c, ['mc-v', 'mc-auto']); // no auto-creation asked: cached as unknown
    expect(unknown.topics[1].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    c.close();
    // mq's producer asks with its own version, allowing auto-creation: the same topic set
    // answered before from the cache must now create mc-auto.
    const producer = new Producer({ bootstrap: `127.0.0.1:${broker.port}` });
    await producer.connect();
    await producer.cluster.ensureTopics(['mc-v', 'mc-auto']);
    expect(producer.cluster.topic('mc-v')?.partitions).toHaveLength(4);
    expect(producer.cluster.topic('mc-auto')?.partitions.length).toBeGreaterThan(0);
    await producer.close();
  });
});
