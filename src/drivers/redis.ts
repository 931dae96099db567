/**
 * The redis driver (ioredis): a topic of N partitions is N streams (layout in redis-streams.ts),
 * a consumer group is a Redis consumer group on each of them.
 *
 * Connection string: `redis://[user:pass@]host:port[/db]?<settings>`, settings being
 *   count=<n>           entries per stream per read (default 1000)
 *   block=<dur>         how long one read waits for entries (default 200ms)
 *   claim-idle=<dur>    when a dead member's unacked entries are taken over (default 10s)
 *
 * A send() call is one pipeline of XADD (NOMKSTREAM: a deleted topic fails loudly instead of
 * coming back as a stray stream); it resolves when Redis has applied every entry, with each
 * entry's offset (IDs are dense sequence numbers, see redis-streams.ts). How durable that is, is
 * the server's choice (`appendfsync`): everysec loses up to about a second of acknowledged
 * entries in a crash.
 *
 * Lag per partition, as Kafka counts it: end offset (XINFO STREAM entries-added) − the group's
 * committed offset, which is the oldest entry still pending (XPENDING) or else the last one
 * delivered (XINFO GROUPS last-delivered-id; its `lag` field, Redis 7, is the undelivered part).
 *
 * What it cannot do (capabilities, and refusals): no idempotent producers, no compression, no
 * producer batching settings, no acks=0 (Redis always answers).
 */
import { Redis } from 'ioredis';
import { partitionForKey } from '../protocol/murmur2.js';
import type {
  AdminDriver,
  ConsumerSettings,
  Driver,
  DriverCapabilities,
  DriverOptions,
  OutgoingMessage,
  PartitionLag,
  ProducerDriver,
  ProducerSettings,
  SendReceipt,
} from './driver.js';
import { DriverCapabilityError } from './driver.js';
import { intSetting, msSetting, parseEngineUrl, refuseProducerSettings } from './engine-url.js';
import { RedisConsumer } from './redis-consumer.js';
import { entryFields, fieldMap, idOffset, keyBytes, metaKey, NEXT_ID, streamKey } from './redis-streams.js';

/** `offsets: true` — dense per-partition offsets in receipts, messages and lag. */
export const REDIS_CAPABILITIES: DriverCapabilities & { offsets: boolean } = {
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

class RedisProducer implements ProducerDriver {
  /** Per topic, looked up once even when sends start together. */
  private readonly partitionCounts = new Map<string, Promise<number>>();
  private readonly roundRobin = new Map<string, number>();
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly r: Redis) {}

  async connect(): Promise<void> {
    if (this.r.status === 'wait') await this.r.connect();
  }

  private partitions(topic: string): Promise<number> {
    let known = this.partitionCounts.get(topic);
    if (!known) {
      known = this.r.hget(metaKey(topic), 'partitions').then((v) => {
        if (v === null) throw new Error(`topic ${topic} does not exist`);
        return Number(v);
      });
      known.catch(() => this.partitionCounts.delete(topic));
      this.partitionCounts.set(topic, known);
    }
    return known;
  }

  async send(topic: string, messages: readonly OutgoingMessage[]): Promise<SendReceipt> {
    const work = this.sendPipeline(topic, messages);
    this.inFlight.add(work);
    try {
      return await work;
    } finally {
      this.inFlight.delete(work);
    }
  }

  private async sendPipeline(topic: string, messages: readonly OutgoingMessage[]): Promise<SendReceipt> {
    await this.connect();
    const n = messages.length;
    const partitions = new Int32Array(n);
    const offsets = new Float64Array(n).fill(-1);
    if (n === 0) return { partitions, offsets };
    const count = await this.partitions(topic);
    const timestamp = String(Date.now());
    const pipe = this.r.pipeline();
    for (let i = 0; i < n; i++) {
      const m = messages[i];
      let p: number;
      if (m.partition !== undefined) {
        if (m.partition < 0 || m.partition >= count) {
          throw new Error(`topic ${topic} has no partition ${m.partition} (it has ${count})`);
        }
        p = m.partition;
      } else if (m.key !== undefined && m.key !== null) p = partitionForKey(keyBytes(m.key), count);
      else {
        const next = this.roundRobin.get(topic) ?? 0;
        this.roundRobin.set(topic, next + 1);
        p = next % count;
      }
      partitions[i] = p;
      pipe.xadd(streamKey(topic, p), 'NOMKSTREAM', NEXT_ID, ...entryFields(m, timestamp));
    }
    const results = (await pipe.exec()) ?? [];
    if (results.length !== n) throw new Error(`Redis answered ${results.length} of ${n} XADD`);
    for (let i = 0; i < n; i++) {
      const [err, id] = results[i];
      if (err) throw err;
      if (id === null) throw new Error(`topic ${topic} was deleted (XADD NOMKSTREAM found no stream)`);
      offsets[i] = idOffset(id as string);
    }
    return { partitions, offsets };
  }

  async flush(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  async close(): Promise<void> {
    await this.flush();
    await this.r.quit().catch(() => this.r.disconnect());
  }
}
