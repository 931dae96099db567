/**
 * The kafkajs driver (kafkajs 2.2.4): the well-known Node client, for comparison with mq's own.
 *
 * kafkajs sends each send() call as one Produce request (no linger, no size-based batching of
 * its own), writes gzip only without extra codecs, and always consumes in a group: a consumer
 * without a group gets a private random one. The partition of each message is learned from a
 * wrapped default partitioner, so receipts carry per-message partitions and offsets.
 */
import { randomUUID } from 'node:crypto';
import {
  type Admin,
  CompressionTypes,
  type Consumer,
  type ICustomPartitioner,
  type IHeaders,
  Kafka,
  logLevel,
  type Message,
  Partitioners,
  type Producer,
} from 'kafkajs';
import type {
  AdminDriver,
  ConsumerDriver,
  ConsumerSettings,
  Driver,
  DriverCapabilities,
  DriverOptions,
  IncomingBatch,
  IncomingMessage,
  MessageHeader,
  OutgoingMessage,
  PartitionLag,
  ProducerDriver,
  ProducerSettings,
  SendReceipt,
} from './driver.js';

export const KAFKAJS_CAPABILITIES: DriverCapabilities = {
  idempotence: true,
  consumerGroups: true,
  compression: ['none', 'gzip'],
  partitions: true,
  batching: false,
  acks: [-1, 0, 1],
  maxInFlight: true,
  lag: true,
  offsets: true,
};

const GROUP_JOIN_TIMEOUT_MS = 30_000;

export function createKafkajsDriver(opts: DriverOptions): Driver {
  const kafka = new Kafka({
    clientId: opts.clientId ?? 'mq',
    brokers: opts.brokers.split(',').map((s) => s.trim()),
    logLevel: logLevel.NOTHING,
    connectionTimeout: opts.connectTimeoutMs ?? 10_000,
    requestTimeout: opts.requestTimeoutMs ?? 30_000,
    retry: { retries: 5 },
  });
  let admin: Promise<Admin> | null = null;
  const connectedAdmin = (): Promise<Admin> => {
    admin ??= (async () => {
      const a = kafka.admin();
      await a.connect();
      return a;
    })();
    return admin;
  };
  const adminDriver: AdminDriver = {
    async createTopic(name, partitions) {
      const a = await connectedAdmin();
      return a.createTopics({ topics: [{ topic: name, numPartitions: partitions }], waitForLeaders: true });
    },
    async deleteTopic(name) {
      await (await connectedAdmin()).deleteTopics({ topics: [name] });
    },
    async partitionCount(name) {
      const a = await connectedAdmin();
      if (!(await a.listTopics()).includes(name)) return null;
      const md = await a.fetchTopicMetadata({ topics: [name] });
      return md.topics[0]?.partitions.length ?? null;
    },
    async lag(group, topic) {
      const a = await connectedAdmin();
      const ends = await a.fetchTopicOffsets(topic);
      const committed = await a.fetchOffsets({ groupId: group, topics: [topic] });
      const byPartition = new Map(committed[0]?.partitions.map((p) => [p.partition, Number(p.offset)]) ?? []);
      return ends
        .map((e): PartitionLag => {
          const end = Number(e.high);
          const c = byPartition.get(e.partition) ?? -1;
          return {
            partition: e.partition,
            endOffset: end,
            committed: c,
            lag: end - (c >= 0 ? c : Number(e.low)),
          };
        })
        .sort((x, y) => x.partition - y.partition);
    },
  };
  return {
    name: 'kafkajs',
    capabilities: KAFKAJS_CAPABILITIES,
    admin: adminDriver,
    createProducer: (settings = {}) => new KafkajsProducer(kafka, settings),
    createConsumer: (settings) => new KafkajsConsumer(kafka, settings),
    async close() {
      if (admin) await (await admin).disconnect();
      admin = null;
    },
  };
}

class KafkajsProducer implements ProducerDriver {
  private readonly producer: Producer;
  private connecting: Promise<void> | null = null;
  private readonly chosen = new WeakMap<object, number>();
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    kafka: Kafka,
    private readonly settings: ProducerSettings,
  ) {
    const chosen = this.chosen;
    const remember: ICustomPartitioner = () => {
      const inner = Partitioners.DefaultPartitioner();
      return (args) => {
        const p = inner(args);
        chosen.set(args.message, p);
        return p;
      };
    };
    this.producer = kafka.producer({
      createPartitioner: remember,
      idempotent: settings.idempotent ?? false,
      maxInFlightRequests: settings.maxInFlight,
      allowAutoTopicCreation: true,
    });
  }

  async connect(): Promise<void> {
    this.connecting ??= this.producer.connect();
    await this.connecting;
  }

  async send(topic: string, messages: readonly OutgoingMessage[]): Promise<SendReceipt> {
    await this.connect();
    const out = messages.map(
      (m): Message => ({
        key: m.key === undefined ? null : (m.key as Buffer | string | null),
        value: m.value as Buffer | string | null,
        headers: m.headers as Message['headers'],
        partition: m.partition,
      }),
    );
    const sending = this.producer.send({
      topic,
      messages: out,
      acks: this.settings.acks ?? -1,
      compression: this.settings.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
    });
    this.pending.add(sending);
    try {
      const meta = await sending;
      const partitions = new Int32Array(out.length);
      const offsets = new Float64Array(out.length).fill(-1);
      const base = new Map(
        meta.map((r) => [r.partition, r.baseOffset === undefined ? -1 : Number(r.baseOffset)]),
      );
      const next = new Map<number, number>();
      for (let i = 0; i < out.length; i++) {
        const p = out[i].partition ?? this.chosen.get(out[i]) ?? -1;
        partitions[i] = p;
        const b = base.get(p) ?? -1;
        const k = next.get(p) ?? 0;
        next.set(p, k + 1);
        if (b >= 0) offsets[i] = b + k;
      }
      return { partitions, offsets };
    } finally {
      this.pending.delete(sending);
    }
  }

  async flush(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  async close(): Promise<void> {
    await this.flush();
    if (this.connecting) await this.producer.disconnect();
  }
}

class KafkajsConsumer implements ConsumerDriver {
  private readonly consumer: Consumer;
  /** Next offset to consume, per partition: what commit() commits. */
  private readonly positions = new Map<number, number>();

  constructor(
    kafka: Kafka,
    private readonly settings: ConsumerSettings,
  ) {
    this.consumer = kafka.consumer({
      groupId: settings.group ?? `mq-private-${randomUUID()}`,
      allowAutoTopicCreation: false,
    });
  }

  async start(
    onBatch: (batch: IncomingBatch) => void | Promise<void>,
    onError?: (err: Error) => void,
  ): Promise<void> {
    const c = this.consumer;
    c.on(c.events.CRASH, (e) => onError?.(e.payload.error));
    // After a rebalance only the partitions still assigned are this member's to commit: a
    // position kept for one that moved would set its new owner's commit back.
    c.on(c.events.GROUP_JOIN, (e) => {
      const mine = new Set(e.payload.memberAssignment[this.settings.topic] ?? []);
      for (const p of [...this.positions.keys()]) if (!mine.has(p)) this.positions.delete(p);
    });
    await c.connect();
    await c.subscribe({ topic: this.settings.topic, fromBeginning: this.settings.fromBeginning });
    const joined = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('kafkajs consumer did not join its group in time')),
        GROUP_JOIN_TIMEOUT_MS,
      );
      const off = c.on(c.events.GROUP_JOIN, () => {
        clearTimeout(timer);
        off();
        resolve();
      });
    });
    await c.run({
      autoCommit: this.settings.autoCommit ?? true,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        const messages = batch.messages.map(
          (m): IncomingMessage => ({
            offset: Number(m.offset),
            key: m.key,
            value: m.value,
            headers: headerList(m.headers),
            timestamp: Number(m.timestamp),
          }),
        );
        const highWatermark = Number(batch.highWatermark);
        await onBatch({ topic: batch.topic, partition: batch.partition, messages, highWatermark });
        if (messages.length > 0)
          this.positions.set(batch.partition, messages[messages.length - 1].offset + 1);
      },
    });
    await joined;
  }

  async commit(): Promise<void> {
    if (!this.settings.group || this.positions.size === 0) return;
    const topic = this.settings.topic;
    await this.consumer.commitOffsets(
      [...this.positions].map(([partition, next]) => ({ topic, partition, offset: String(next) })),
    );
  }

  async close(): Promise<void> {
    await this.consumer.disconnect();
  }
}

function headerList(h: IHeaders | undefined): MessageHeader[] {
  const out: MessageHeader[] = [];
  if (!h) return out;
  for (const [key, v] of Object.entries(h)) {
    for (const one of Array.isArray(v) ? v : [v]) {
      if (one !== undefined) out.push({ key, value: typeof one === 'string' ? Buffer.from(one) : one });
    }
  }
  return out;
}
