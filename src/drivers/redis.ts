/**
 * The redis driver (ioredis): a topic of N partitions is N streams (layout in redis-streams.ts),
 * a consumer group is a Redis consumer group on each of them.
 *
 * Connection string: `redis://[user:pass@]host:port[/db]?<settings>`, settings being
 *   count=<n>           entries per stream per read (default 1000)
 *   block=<dur>         how long one read waits for entries (default 200ms)
 *   claim-idle=<dur>    when a dead member's unacked entries are taken over (default 10s)
 *
 * A send() call is one pipeline of XADD runs (redis-producer.ts); it resolves when Redis has
 * applied every entry, with each entry's offset (IDs are dense sequence numbers, see
 * redis-streams.ts). How durable that is, is the server's choice (`appendfsync`): everysec loses
 * up to about a second of acknowledged entries in a crash.
 *
 * Lag per partition, as Kafka counts it: end offset (XINFO STREAM entries-added) − the group's
 * committed offset, which is the oldest entry still pending (XPENDING) or else the last one
 * delivered (XINFO GROUPS last-delivered-id; its `lag` field, Redis 7, is the undelivered part).
 *
 * What it cannot do (capabilities, and refusals): no idempotent producers, no compression, no
 * producer batching settings, no acks=0 (Redis always answers).
 */
import { Redis } from 'ioredis';
import type {
  AdminDriver,
  ConsumerSettings,
  Driver,
  DriverCapabilities,
  DriverOptions,
  PartitionLag,
  ProducerSettings,
} from './driver.js';
import { DriverCapabilityError } from './driver.js';
import { intSetting, msSetting, parseEngineUrl, refuseProducerSettings } from './engine-url.js';
import { RedisConsumer } from './redis-consumer.js';
import { RedisProducer } from './redis-producer.js';
import { fieldMap, idOffset, metaKey, streamKey } from './redis-streams.js';

/** `offsets: true` — dense per-partition offsets in receipts, messages and lag. */
export const REDIS_CAPABILITIES: DriverCapabilities = {
  idempotence: false,
  consumerGroups: true,
  compression: ['none'],
  partitions: true,
  batching: false,
  acks: [-1, 1],
  maxInFlight: false,
  lag: true,
  offsets: true,
};

const SETTINGS = ['count', 'block', 'claim-idle'] as const;

export interface RedisSettings {
  url: string;
  count: number;
  blockMs: number;
  claimIdleMs: number;
}

export function redisSettings(brokers: string): RedisSettings {
  const { url, settings } = parseEngineUrl(brokers, 'redis', ['redis', 'rediss'], SETTINGS);
  return {
    url,
    count: intSetting(settings, 'count', 1000, 'redis'),
    blockMs: msSetting(settings, 'block', 200, 'redis'),
    claimIdleMs: msSetting(settings, 'claim-idle', 10_000, 'redis'),
  };
}

export function createRedisDriver(opts: DriverOptions): Driver {
  const s = redisSettings(opts.brokers);
  const connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
  const connection = () => {
    // RESP2 reply shapes (RESP3 turns XREAD's per-stream array into a flattened map).
    const r = new Redis(s.url, { lazyConnect: true, connectTimeout: connectTimeoutMs, protocol: 2 });
    r.on('error', () => {});
    return r;
  };
  let adminConn: Redis | null = null;
  const redis = () => {
    adminConn ??= connection();
    return adminConn;
  };
  const partitionCount = async (r: Redis, topic: string) => {
    const v = await r.hget(metaKey(topic), 'partitions');
    return v === null ? null : Number(v);
  };
  const admin: AdminDriver = {
    async createTopic(name, partitions) {
      const r = redis();
      // Empty streams now (a group is created on an existing stream): MKSTREAM with a
      // throwaway group, destroyed at once.
      const pipe = r.pipeline();
      for (let p = 0; p < partitions; p++) {
        pipe.xgroup('CREATE', streamKey(name, p), 'mq-create', '$', 'MKSTREAM');
        pipe.xgroup('DESTROY', streamKey(name, p), 'mq-create');
      }
      pipe.hsetnx(metaKey(name), 'partitions', partitions);
      const results = (await pipe.exec()) ?? [];
      const last = results[results.length - 1];
      if (last?.[0]) throw last[0];
      return last?.[1] === 1;
    },
    async deleteTopic(name) {
      const r = redis();
      const n = (await partitionCount(r, name)) ?? 0;
      await r.del(metaKey(name), ...Array.from({ length: n }, (_, p) => streamKey(name, p)));
    },
    partitionCount: (name) => partitionCount(redis(), name),
    lag: (group, topic) => groupLag(redis(), group, topic, partitionCount),
  };
  return {
    name: 'redis',
    capabilities: REDIS_CAPABILITIES,
    admin,
    createProducer: (settings: ProducerSettings = {}) => {
      refuseProducerSettings('redis', settings);
      if (settings.acks === 0) {
        throw new DriverCapabilityError('driver "redis" has no acks=0: Redis answers every XADD');
      }
      return new RedisProducer(connection());
    },
    createConsumer: (settings: ConsumerSettings) =>
      new RedisConsumer(
        { url: s.url, count: s.count, blockMs: s.blockMs, claimIdleMs: s.claimIdleMs, connectTimeoutMs },
        settings,
      ),
    async close() {
      const r = adminConn;
      adminConn = null;
      await r?.quit().catch(() => r.disconnect());
    },
  };
}

async function groupLag(
  r: Redis,
  group: string,
  topic: string,
  count: (r: Redis, topic: string) => Promise<number | null>,
): Promise<PartitionLag[]> {
  const n = await count(r, topic);
  if (n === null) throw new Error(`topic ${topic} does not exist`);
  const out: PartitionLag[] = [];
  for (let p = 0; p < n; p++) {
    const key = streamKey(topic, p);
    const stream = fieldMap((await r.call('XINFO', 'STREAM', key)) as unknown[]);
    const end = Number(stream.get('entries-added'));
    const g = ((await r.call('XINFO', 'GROUPS', key)) as unknown[][])
      .map(fieldMap)
      .find((x) => x.get('name') === group);
    if (!g) {
      // No such group yet: one created from the beginning would read the whole stream.
      out.push({ partition: p, endOffset: end, committed: -1, lag: Number(stream.get('length')) });
      continue;
    }
    const delivered = idOffset(String(g.get('last-delivered-id'))) + 1;
    const reported = g.get('lag');
    const undelivered = typeof reported === 'number' ? reported : end - delivered;
    const [pending, oldest] = (await r.xpending(key, group)) as [number, string | null, ...unknown[]];
    const committed = Number(pending) > 0 && oldest ? idOffset(oldest) : end - undelivered;
    out.push({ partition: p, endOffset: end, committed, lag: end - committed });
  }
  return out;
}
