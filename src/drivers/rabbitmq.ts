/**
 * The rabbitmq driver (amqplib, AMQP 0-9-1): a topic of N partitions is a direct exchange with
 * one durable queue per partition for each consumer group (layout in rabbitmq-topology.ts).
 *
 * Connection string: `amqp://user:pass@host:port/vhost?<settings>`, settings being
 *   queue-type=classic|quorum  queues of new topics and groups (default classic; both durable)
 *   prefetch=<n>               unacked deliveries per consumer (default 1000)
 *   max-unconfirmed=<n>        publisher confirms outstanding per producer (default 1000)
 *   reconnect-timeout=<dur>    how long a consumer retries a lost connection (default 60s)
 * Producer acks -1 / 1 use publisher confirms; acks 0 publishes without them (fire and forget).
 *
 * What it cannot do (capabilities, and refusals): no idempotent producers, no compression, no
 * producer batching settings (amqplib writes as fast as the socket takes), no offsets (receipts
 * and messages carry -1; a group cannot seek or replay), lag is the ready-message depth of the
 * group's queues (deliveries not yet acked are not counted: AMQP does not report them).
 */
import { type ChannelModel, connect } from 'amqplib';
import type {
  AdminDriver,
  ConsumerSettings,
  Driver,
  DriverCapabilities,
  DriverOptions,
  PartitionLag,
  ProducerSettings,
} from './driver.js';
import {
  DriverUrlError,
  intSetting,
  msSetting,
  parseEngineUrl,
  refuseProducerSettings,
} from './engine-url.js';
import { RabbitConsumer } from './rabbitmq-consumer.js';
import { RabbitProducer } from './rabbitmq-producer.js';
import {
  groupQueue,
  type QueueType,
  RabbitTopology,
  ResilientChannel,
  unclaimedQueue,
} from './rabbitmq-topology.js';

/** `offsets: false` — no per-partition offsets, no seeking or replay. */
export const RABBITMQ_CAPABILITIES: DriverCapabilities = {
  idempotence: false,
  consumerGroups: true,
  compression: ['none'],
  partitions: true,
  batching: false,
  acks: [-1, 0, 1],
  maxInFlight: false,
  lag: true,
  offsets: false,
};

const SETTINGS = ['queue-type', 'prefetch', 'max-unconfirmed', 'reconnect-timeout'] as const;

export interface RabbitSettings {
  url: string;
  queueType: QueueType;
  prefetch: number;
  maxUnconfirmed: number;
  reconnectTimeoutMs: number;
}

export function rabbitSettings(brokers: string): RabbitSettings {
  const { url, settings } = parseEngineUrl(brokers, 'rabbitmq', ['amqp', 'amqps'], SETTINGS);
  const queueType = settings.get('queue-type') ?? 'classic';
  if (queueType !== 'classic' && queueType !== 'quorum') {
    throw new DriverUrlError(`driver "rabbitmq": queue-type=${queueType} is not classic or quorum`);
  }
  return {
    url,
    queueType,
    prefetch: intSetting(settings, 'prefetch', 1000, 'rabbitmq'),
    maxUnconfirmed: intSetting(settings, 'max-unconfirmed', 1000, 'rabbitmq'),
    reconnectTimeoutMs: msSetting(settings, 'reconnect-timeout', 60_000, 'rabbitmq'),
  };
}

/** RabbitMQ refused a declaration because what exists differs (another queue type). */
function explainPrecondition(err: unknown, s: RabbitSettings): never {
  if ((err as { code?: number }).code === 406) {
    throw new Error(
      `RabbitMQ refused the topic layout (${(err as Error).message}); it was declared with other settings — use the same queue-type (now ${s.queueType}) or delete the topic first`,
    );
  }
  throw err;
}

export function createRabbitmqDriver(opts: DriverOptions): Driver {
  const s = rabbitSettings(opts.brokers);
  const connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
  let conn: Promise<ChannelModel> | null = null;
  let channel: ResilientChannel | null = null;
  const topology = async (): Promise<RabbitTopology> => {
    conn ??= connect(s.url, { timeout: connectTimeoutMs }).then((c) => {
      c.on('error', () => {});
      c.on('close', () => {
        conn = null;
        channel = null;
      });
      return c;
    });
    conn.catch(() => {
      conn = null;
    });
    channel ??= new ResilientChannel(await conn);
    return new RabbitTopology(channel, s.queueType);
  };
  const admin: AdminDriver = {
    async createTopic(name, partitions) {
      return (await topology()).createTopic(name, partitions).catch((err) => explainPrecondition(err, s));
    },
    async deleteTopic(name) {
      await (await topology()).deleteTopic(name);
    },
    async partitionCount(name) {
      return (await topology()).partitionCount(name);
    },
    async lag(group, topic) {
      const t = await topology();
      const n = await t.partitionCount(topic);
      if (n === null) throw new Error(`topic ${topic} does not exist`);
      const out: PartitionLag[] = [];
      for (let p = 0; p < n; p++) {
        const mine = (await t.depth(groupQueue(topic, group, p))) ?? 0;
        const unclaimed = (await t.depth(unclaimedQueue(topic, p))) ?? 0;
        out.push({ partition: p, endOffset: -1, committed: -1, lag: mine + unclaimed });
      }
      return out;
    },
  };
  return {
    name: 'rabbitmq',
    capabilities: RABBITMQ_CAPABILITIES,
    admin,
    createProducer: (settings: ProducerSettings = {}) => {
      refuseProducerSettings('rabbitmq', settings);
      return new RabbitProducer({
        url: s.url,
        confirms: (settings.acks ?? -1) !== 0,
        maxUnconfirmed: s.maxUnconfirmed,
        connectTimeoutMs,
      });
    },
    createConsumer: (settings: ConsumerSettings) =>
      new RabbitConsumer(
        {
          url: s.url,
          prefetch: s.prefetch,
          queueType: s.queueType,
          connectTimeoutMs,
          reconnectTimeoutMs: s.reconnectTimeoutMs,
        },
        settings,
      ),
    async close() {
      const c = conn;
      conn = null;
      await channel?.close();
      channel = null;
      if (c) await (await c).close().catch(() => {});
    },
  };
}
