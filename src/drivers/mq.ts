/**
 * The mq driver: mq's own Kafka-protocol client (src/client), the default.
 *
 * Sends go through the producer's batch path (sendBatch: records encoded straight into batch
 * buffers, one promise per partition run); consumers hand decoded records over without copying
 * (a DecodedRecord already has the IncomingMessage shape).
 */
import { Admin, Consumer, type ConsumerBatch, Producer } from '../client/index.js';
import { offsetInCall } from '../client/producer.js';
import type { CompressionName } from '../protocol/record-batch.js';
import type {
  AdminDriver,
  ConsumerDriver,
  ConsumerSettings,
  Driver,
  DriverCapabilities,
  DriverOptions,
  IncomingBatch,
  OutgoingMessage,
  ProducerDriver,
  SendReceipt,
} from './driver.js';

const TOPIC_ALREADY_EXISTS = 36;

export const MQ_CAPABILITIES: DriverCapabilities = {
  idempotence: true,
  consumerGroups: true,
  compression: ['none', 'gzip'],
  partitions: true,
  batching: true,
  acks: [-1, 0, 1],
  maxInFlight: true,
  lag: true,
  offsets: true,
};

export function createMqDriver(opts: DriverOptions): Driver {
  const cluster = {
    bootstrap: opts.brokers,
    clientId: opts.clientId ?? 'mq',
    connectTimeoutMs: opts.connectTimeoutMs,
    requestTimeoutMs: opts.requestTimeoutMs,
  };
  let admin: Promise<Admin> | null = null;
  const connected = (): Promise<Admin> => {
    admin ??= (async () => {
      const a = new Admin(cluster);
      await a.connect();
      return a;
    })();
    admin.catch(() => {
      admin = null;
    });
    return admin;
  };
  const adminDriver: AdminDriver = {
    async createTopic(name, partitions) {
      const [r] = await (await connected()).createTopics([{ topic: name, partitions }]);
      return r.errorCode !== TOPIC_ALREADY_EXISTS;
    },
    async deleteTopic(name) {
      await (await connected()).deleteTopics([name]);
    },
    async partitionCount(name) {
      const a = await connected();
      if (!(await a.listTopics()).includes(name)) return null;
      const [t] = await a.describeTopics([name]);
      return t ? t.partitions.length : null;
    },
    async lag(group, topic) {
      const lag = await (await connected()).groupLag(group, [topic]);
      return lag.partitions
        .map((p) => ({ partition: p.partition, endOffset: p.logEnd, committed: p.committed, lag: p.lag }))
        .sort((x, y) => x.partition - y.partition);
    },
  };
  return {
    name: 'mq',
    capabilities: MQ_CAPABILITIES,
    admin: adminDriver,
    createProducer: (settings = {}) =>
      new MqProducer(
        new Producer({
          ...cluster,
          acks: settings.acks,
          batchSize: settings.batchSize,
          lingerMs: settings.lingerMs,
          maxInFlight: settings.maxInFlight,
          compression: settings.compression as CompressionName | undefined,
          idempotent: settings.idempotent,
        }),
      ),
    createConsumer: (settings) => new MqConsumer(cluster, settings),
    async close() {
      const a = admin;
      admin = null;
      if (a) await (await a).close();
    },
  };
}

class MqProducer implements ProducerDriver {
  constructor(private readonly producer: Producer) {}

  connect(): Promise<void> {
    return this.producer.connect();
  }

  async send(topic: string, messages: readonly OutgoingMessage[]): Promise<SendReceipt> {
    const n = messages.length;
    const partitions = new Int32Array(n);
    const offsets = new Float64Array(n);
    if (n === 0) return { partitions, offsets };
    const first = messages[0].partition;
    if (first !== undefined && messages.every((m) => m.partition === first)) {
      // The load tools' path: one explicit partition per call.
      const r = await this.producer.sendBatch(topic, first, messages);
      partitions.fill(first);
      for (let i = 0; i < n; i++) offsets[i] = offsetInCall(r, i);
      return { partitions, offsets };
    }
    await this.producer.connect();
    if (this.producer.cluster.topic(topic) === undefined) await this.producer.cluster.ensureTopics([topic]);
    const runs = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const m = messages[i];
      const p = m.partition ?? this.producer.choosePartition(topic, m.key, undefined);
      partitions[i] = p;
      const run = runs.get(p);
      if (run) run.push(i);
      else runs.set(p, [i]);
    }
    await Promise.all(
      [...runs].map(async ([p, idx]) => {
        const r = await this.producer.sendBatch(
          topic,
          p,
          idx.map((i) => messages[i]),
        );
        idx.forEach((i, k) => {
          offsets[i] = offsetInCall(r, k);
        });
      }),
    );
    return { partitions, offsets };
  }

  flush(): Promise<void> {
    return this.producer.flush();
  }

  close(): Promise<void> {
    return this.producer.close();
  }
}

class MqConsumer implements ConsumerDriver {
  private readonly consumer: Consumer;
  private assigned!: () => void;
  private readonly ready = new Promise<void>((r) => {
    this.assigned = r;
  });
  private loop: Promise<void> | null = null;

  constructor(
    cluster: { bootstrap: string; clientId: string; connectTimeoutMs?: number; requestTimeoutMs?: number },
    private readonly settings: ConsumerSettings,
  ) {
    this.consumer = new Consumer({
      ...cluster,
      groupId: settings.group,
      autoOffsetReset: settings.fromBeginning ? 'earliest' : 'latest',
      autoCommit: settings.autoCommit ?? true,
      maxWaitMs: 100,
      // Members learn of a rebalance from a heartbeat's answer: at Kafka's 3 s, each consumer
      // joining a tool's group kept the others waiting up to 3 s (a 4-consumer drain spent 4 s
      // joining). Heartbeats on a broker's connection cost next to nothing.
      heartbeatIntervalMs: 500,
      onAssign: () => this.assigned(),
    });
  }

  async start(
    onBatch: (batch: IncomingBatch) => void | Promise<void>,
    onError?: (err: Error) => void,
  ): Promise<void> {
    const { topic, group } = this.settings;
    if (group) this.consumer.subscribe({ topics: [topic], groupId: group });
    else {
      await this.consumer.cluster.connect();
      await this.consumer.cluster.ensureTopics([topic]);
      const meta = this.consumer.cluster.topic(topic);
      if (!meta || meta.partitions.length === 0) throw new Error(`topic ${topic} does not exist`);
      this.consumer.assign(meta.partitions.map((p) => ({ topic, partition: p.partition })));
      this.assigned();
    }
    const toBatch = (b: ConsumerBatch): IncomingBatch => ({
      topic: b.topic,
      partition: b.partition,
      messages: b.records,
      highWatermark: b.highWatermark,
    });
    let failed: (e: Error) => void = () => {};
    const failedBeforeReady = new Promise<never>((_, reject) => {
      failed = reject;
    });
    this.loop = this.consumer.run({ eachBatch: (b) => onBatch(toBatch(b)) }).catch((err: Error) => {
      failed(err);
      onError?.(err);
    });
    failedBeforeReady.catch(() => {});
    await Promise.race([this.ready, failedBeforeReady]);
  }

  commit(): Promise<void> {
    return this.settings.group ? this.consumer.commit() : Promise.resolve();
  }

  async close(): Promise<void> {
    await this.consumer.close();
    await this.loop;
  }
}
