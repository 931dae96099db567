/**
 * An in-process queue behind the driver contract: topics of partitions held in arrays in this
 * thread. For tests of the tools (runner, checkers) without a broker, and as the smallest
 * example of a driver. Producers and consumers must share one thread (the tools' inline mode);
 * `brokers` names the store, so separate tests do not see each other's topics. Keyed messages
 * go where Kafka's murmur2 partitioner would put them; unkeyed ones round-robin.
 */
import { partitionForKey } from '../protocol/murmur2.js';
import type {
  ConsumerDriver,
  ConsumerSettings,
  Driver,
  DriverCapabilities,
  DriverOptions,
  IncomingBatch,
  IncomingMessage,
  OutgoingMessage,
  ProducerDriver,
  SendReceipt,
} from './driver.js';

export const MEMORY_CAPABILITIES: DriverCapabilities = {
  idempotence: false,
  consumerGroups: false,
  compression: ['none'],
  partitions: true,
  batching: false,
  acks: [-1, 1],
  maxInFlight: false,
  lag: false,
  offsets: true,
};

interface Topic {
  partitions: IncomingMessage[][];
  wake: Set<() => void>;
  rr: number;
}

const stores = new Map<string, Map<string, Topic>>();

/** Forgets every topic of a store. */
export function resetMemoryStore(name: string): void {
  stores.delete(name);
}

export function createMemoryDriver(opts: DriverOptions): Driver {
  const topics = stores.get(opts.brokers) ?? new Map<string, Topic>();
  stores.set(opts.brokers, topics);
  const topicOf = (name: string): Topic => {
    const t = topics.get(name);
    if (!t) throw new Error(`topic ${name} does not exist`);
    return t;
  };
  return {
    name: 'memory',
    capabilities: MEMORY_CAPABILITIES,
    admin: {
      async createTopic(name, partitions) {
        if (topics.has(name)) return false;
        topics.set(name, {
          partitions: Array.from({ length: partitions }, () => []),
          wake: new Set(),
          rr: 0,
        });
        return true;
      },
      async deleteTopic(name) {
        topics.delete(name);
      },
      async partitionCount(name) {
        return topics.get(name)?.partitions.length ?? null;
      },
      async lag() {
        throw new Error('the memory driver has no consumer groups');
      },
    },
    createProducer: () => new MemoryProducer(topicOf),
    createConsumer: (settings) => new MemoryConsumer(topicOf, settings),
    async close() {},
  };
}

const asBytes = (v: Uint8Array | string | null | undefined): Uint8Array | null =>
  v === null || v === undefined ? null : typeof v === 'string' ? Buffer.from(v) : v;

class MemoryProducer implements ProducerDriver {
  constructor(private readonly topicOf: (name: string) => Topic) {}

  async connect(): Promise<void> {}

  async send(topic: string, messages: readonly OutgoingMessage[]): Promise<SendReceipt> {
    const t = this.topicOf(topic);
    const partitions = new Int32Array(messages.length);
    const offsets = new Float64Array(messages.length);
    const now = Date.now();
    messages.forEach((m, i) => {
      const key = asBytes(m.key);
      const p =
        m.partition ?? (key ? partitionForKey(key, t.partitions.length) : t.rr++ % t.partitions.length);
      const log = t.partitions[p];
      if (!log) throw new Error(`topic ${topic} has no partition ${p}`);
      const headers = Object.entries(m.headers ?? {}).map(([key, value]) => ({ key, value: asBytes(value) }));
      log.push({ offset: log.length, timestamp: now, key, value: asBytes(m.value), headers });
      partitions[i] = p;
      offsets[i] = log.length - 1;
    });
    for (const w of t.wake) w();
    return { partitions, offsets };
  }

  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

class MemoryConsumer implements ConsumerDriver {
  private stopped = false;
  private loop: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;

  constructor(
    private readonly topicOf: (name: string) => Topic,
    private readonly settings: ConsumerSettings,
  ) {
    if (settings.group) throw new Error('the memory driver has no consumer groups');
  }

  async start(
    onBatch: (batch: IncomingBatch) => void | Promise<void>,
    onError?: (err: Error) => void,
  ): Promise<void> {
    const t = this.topicOf(this.settings.topic);
    const positions = t.partitions.map((log) => (this.settings.fromBeginning ? 0 : log.length));
    const wake = () => this.wakeUp?.();
    t.wake.add(wake);
    this.loop = (async () => {
      while (!this.stopped) {
        let delivered = false;
        for (let p = 0; p < t.partitions.length && !this.stopped; p++) {
          const log = t.partitions[p];
          if (positions[p] >= log.length) continue;
          const messages = log.slice(positions[p]);
          positions[p] = log.length;
          delivered = true;
          await onBatch({ topic: this.settings.topic, partition: p, messages, highWatermark: log.length });
        }
        if (!delivered && !this.stopped) {
          await new Promise<void>((r) => {
            this.wakeUp = r;
          });
        }
      }
    })()
      .catch((err: Error) => onError?.(err))
      .finally(() => t.wake.delete(wake));
  }

  async commit(): Promise<void> {}

  async close(): Promise<void> {
    this.stopped = true;
    this.wakeUp?.();
    await this.loop;
  }
}
