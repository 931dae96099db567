/**
 * RabbitMQ consumer: one channel with a prefetch limit and manual acks, consuming the group's
 * queue of every partition (rabbitmq-topology.ts), plus the unclaimed queues when it starts from
 * the beginning. Consumers of one group compete for messages (RabbitMQ's model); each sees a
 * partition's messages in queue order, except redeliveries after another consumer failed.
 *
 * Deliveries are handed to onBatch in arrival order, one batch at a time (consecutive
 * deliveries of one partition form a batch). A message is acknowledged only after onBatch has
 * returned for it: after every batch with autoCommit, else by commit(). Acks use `multiple`, which
 * is sound because everything delivered earlier on the channel has been handled. Unacked
 * messages go back to the queue when the channel closes (a crash, or close() without commit).
 *
 * A lost connection is retried for `reconnectTimeoutMs`; batches of the old channel that were not
 * handled yet are dropped (the server redelivers them). RabbitMQ has no offsets: messages carry
 * offset -1 and batches highWatermark -1.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Channel, type ChannelModel, type ConsumeMessage, connect } from 'amqplib';
import {
  type ConsumerDriver,
  type ConsumerSettings,
  DriverCapabilityError,
  type IncomingBatch,
  type IncomingMessage,
  type MessageHeader,
} from './driver.js';
import { KEY_HEADER } from './rabbitmq-producer.js';
import {
  groupQueue,
  type QueueType,
  RabbitTopology,
  ResilientChannel,
  topicExchange,
  unclaimedQueue,
} from './rabbitmq-topology.js';

export interface RabbitConsumerConfig {
  url: string;
  prefetch: number;
  queueType: QueueType;
  connectTimeoutMs: number;
  reconnectTimeoutMs: number;
}

interface Session {
  conn: ChannelModel;
  channel: Channel;
  live: boolean;
  consumerTags: string[];
}

interface Delivery {
  session: Session;
  partition: number;
  msg: ConsumeMessage;
}

const MAX_BATCH = 2000;

export class RabbitConsumer implements ConsumerDriver {
  private session: Session | null = null;
  private readonly pending: Delivery[] = [];
  private draining: Promise<void> | null = null;
  private lastHandled: Delivery | null = null;
  private onBatch: (b: IncomingBatch) => void | Promise<void> = () => {};
  private onError: (err: Error) => void = () => {};
  private stopping = false;
  private reconnecting: Promise<void> | null = null;

  constructor(
    private readonly cfg: RabbitConsumerConfig,
    private readonly settings: ConsumerSettings,
  ) {}

  async start(
    onBatch: (batch: IncomingBatch) => void | Promise<void>,
    onError?: (err: Error) => void,
  ): Promise<void> {
    if (!this.settings.group && this.settings.fromBeginning) {
      throw new DriverCapabilityError(
        'driver "rabbitmq" keeps no log to replay: a consumer without a group sees only messages published after it starts; give it a group to read a topic from the beginning',
      );
    }
    this.onBatch = onBatch;
    if (onError) this.onError = onError;
    await this.subscribe();
  }

  private async subscribe(): Promise<void> {
    const conn = await connect(this.cfg.url, { timeout: this.cfg.connectTimeoutMs });
    try {
      const { topic, group } = this.settings;
      const admin = new ResilientChannel(conn);
      const topology = new RabbitTopology(admin, this.cfg.queueType);
      const channel = await conn.createChannel();
      const session: Session = { conn, channel, live: true, consumerTags: [] };
      const lost = (err?: Error) => {
        if (!session.live) return;
        session.live = false;
        if (this.session === session) this.session = null;
        if (!this.stopping) this.recover(err ?? new Error('RabbitMQ connection closed'));
      };
      conn.on('error', lost);
      conn.on('close', lost);
      channel.on('error', lost);
      channel.on('close', () => lost(new Error('RabbitMQ channel closed')));
      await channel.prefetch(this.cfg.prefetch);
      const queues: [string, number][] = [];
      if (group) {
        const n = await topology.declareGroup(topic, group);
        for (let p = 0; p < n; p++) queues.push([groupQueue(topic, group, p), p]);
        if (this.settings.fromBeginning) {
          for (let p = 0; p < n; p++) queues.push([unclaimedQueue(topic, p), p]);
        }
      } else {
        const n = await topology.partitionCount(topic);
        if (n === null) throw new Error(`topic ${topic} does not exist`);
        const id = randomUUID();
        for (let p = 0; p < n; p++) {
          const q = `mq.${topic}.private.${id}.${p}`;
          await channel.assertQueue(q, { exclusive: true, autoDelete: true });
          await channel.bindQueue(q, topicExchange(topic), String(p));
          queues.push([q, p]);
        }
      }
      await admin.close();
      for (const [queue, partition] of queues) {
        const { consumerTag } = await channel.consume(queue, (msg) => {
          if (msg === null) lost(new Error(`RabbitMQ cancelled the consumer of ${queue} (queue deleted?)`));
          else this.deliver({ session, partition, msg });
        });
        session.consumerTags.push(consumerTag);
      }
      this.session = session;
    } catch (err) {
      await conn.close().catch(() => {});
      throw err;
    }
  }

  /** Reconnects after a lost connection, or reports the failure once time runs out. */
  private recover(cause: Error): void {
    this.reconnecting ??= (async () => {
      const deadline = Date.now() + this.cfg.reconnectTimeoutMs;
      let last = cause;
      while (!this.stopping && Date.now() < deadline) {
        await sleep(500);
        if (this.stopping) return;
        try {
          await this.subscribe();
          return;
        } catch (err) {
          last = err as Error;
        }
      }
      if (!this.stopping) {
        this.stopping = true;
        this.onError(
          new Error(`RabbitMQ consumer lost its connection and could not reconnect: ${last.message}`),
        );
      }
    })().finally(() => {
      this.reconnecting = null;
    });
  }

  private deliver(d: Delivery): void {
    this.pending.push(d);
    this.draining ??= this.drain().finally(() => {
      this.draining = null;
    });
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0 && !this.stopping) {
      const first = this.pending[0];
      let n = 1;
      while (
        n < this.pending.length &&
        n < MAX_BATCH &&
        this.pending[n].partition === first.partition &&
        this.pending[n].session === first.session
      ) {
        n++;
      }
      const run = this.pending.splice(0, n);
      // The channel died: the server requeues these, so they are not handled here.
      if (!first.session.live) continue;
      const batch: IncomingBatch = {
        topic: this.settings.topic,
        partition: first.partition,
        messages: run.map((d) => toMessage(d.msg)),
        highWatermark: -1,
      };
      try {
        await this.onBatch(batch);
      } catch (err) {
        this.stopping = true;
        this.onError(err as Error);
        return;
      }
      const last = run[n - 1];
      if (this.settings.autoCommit ?? true) ack(last);
      else this.lastHandled = last;
    }
  }

  async commit(): Promise<void> {
    const last = this.lastHandled;
    this.lastHandled = null;
    if (last) ack(last);
  }

  async close(): Promise<void> {
    // The batch being handled finishes (and is acked with autoCommit); the rest is requeued.
    this.stopping = true;
    await this.draining;
    await this.reconnecting;
    const s = this.session;
    this.session = null;
    if (s?.live) {
      // Cancel first and wait for each cancel-ok: the acks sent before it are then settled by
      // the queue (basic.ack has no reply; a quorum queue could otherwise see the channel go
      // before the settlements and requeue messages that were handled).
      for (const tag of s.consumerTags) await s.channel.cancel(tag).catch(() => {});
      s.live = false;
      await s.conn.close().catch(() => {});
    }
  }
}

function ack(d: Delivery): void {
  if (d.session.live) d.session.channel.ack(d.msg, true);
}

const toBytes = (v: unknown): Uint8Array | null =>
  v === null || v === undefined
    ? null
    : Buffer.isBuffer(v)
      ? v
      : typeof v === 'string'
        ? Buffer.from(v)
        : Buffer.from(String(v));

function toMessage(m: ConsumeMessage): IncomingMessage {
  const headers: MessageHeader[] = [];
  let key: Uint8Array | null = null;
  for (const [k, v] of Object.entries(m.properties.headers ?? {})) {
    if (k === KEY_HEADER) key = toBytes(v);
    else headers.push({ key: k, value: toBytes(v) });
  }
  const ts = m.properties.timestamp;
  const out: IncomingMessage = {
    offset: -1,
    timestamp: typeof ts === 'number' ? ts : 0,
    key,
    value: m.content,
    headers,
  };
  if (m.fields.redelivered) out.redelivered = true;
  return out;
}
