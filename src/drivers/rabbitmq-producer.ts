/**
 * RabbitMQ producer: persistent messages to the topic exchange, routing key = partition.
 *
 * With confirms (acks -1 / 1, the default) the channel is a confirm channel and send() resolves
 * when the broker has confirmed every message of the call: for a durable classic queue that
 * means written to disk, for a quorum queue committed by the quorum. At most `maxUnconfirmed`
 * messages are outstanding; send() waits for room before publishing more. Without confirms
 * (acks 0) a message counts as sent once amqplib has taken it; whatever the server had not yet
 * written is lost when it crashes — the negative control of verify-loss.
 *
 * The Kafka-style key travels in header `mq-key`; the record timestamp (ms) in the AMQP
 * timestamp property. A lost connection fails the calls in flight; the next send() reconnects.
 */
import { type Channel, type ChannelModel, type ConfirmChannel, connect } from 'amqplib';
import type { OutgoingMessage, ProducerDriver, SendReceipt } from './driver.js';
import { asBuffer, PartitionChooser } from './outgoing.js';
import { RabbitTopology, ResilientChannel, topicExchange } from './rabbitmq-topology.js';

export const KEY_HEADER = 'mq-key';

export interface RabbitProducerConfig {
  url: string;
  confirms: boolean;
  maxUnconfirmed: number;
  connectTimeoutMs: number;
}

interface Session {
  conn: ChannelModel;
  channel: Channel | ConfirmChannel;
  topology: RabbitTopology;
  closed: Error | null;
}

export class RabbitProducer implements ProducerDriver {
  private current: Session | null = null;
  private connecting: Promise<Session> | null = null;
  /** Per topic, found once even when sends start together. */
  private readonly partitionCounts = new Map<string, Promise<number>>();
  private readonly chooser = new PartitionChooser();
  private unconfirmed = 0;
  private readonly roomWaiters: (() => void)[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  private publishing: Promise<void> = Promise.resolve();
  private closing = false;

  constructor(private readonly cfg: RabbitProducerConfig) {}

  /** The open session, or a new one (after a lost connection, the next send reconnects). */
  private connected(): Promise<Session> {
    if (this.closing) return Promise.reject(new Error('producer is closed'));
    if (this.current && !this.current.closed) return Promise.resolve(this.current);
    this.connecting ??= this.open().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async open(): Promise<Session> {
    const conn = await connect(this.cfg.url, { timeout: this.cfg.connectTimeoutMs });
    const channel = this.cfg.confirms ? await conn.createConfirmChannel() : await conn.createChannel();
    const s: Session = {
      conn,
      channel,
      topology: new RabbitTopology(new ResilientChannel(conn), 'classic'),
      closed: null,
    };
    const lost = (err?: Error) => {
      s.closed ??= err ?? new Error('RabbitMQ connection closed');
      if (this.current === s) this.current = null;
      this.releaseRoom();
    };
    conn.on('error', lost);
    conn.on('close', lost);
    channel.on('error', lost);
    channel.on('close', () => lost(new Error('RabbitMQ channel closed')));
    this.current = s;
    return s;
  }

  async connect(): Promise<void> {
    await this.connected();
  }

  private partitions(s: Session, topic: string): Promise<number> {
    let known = this.partitionCounts.get(topic);
    if (!known) {
      known = s.topology.partitionCount(topic).then((n) => {
        if (n === null) throw new Error(`topic ${topic} does not exist`);
        return n;
      });
      known.catch(() => this.partitionCounts.delete(topic));
      this.partitionCounts.set(topic, known);
    }
    return known;
  }

  private releaseRoom(): void {
    while (this.roomWaiters.length > 0) this.roomWaiters.shift()!();
  }

  private async room(s: Session): Promise<void> {
    while (this.unconfirmed >= this.cfg.maxUnconfirmed && !s.closed) {
      await new Promise<void>((r) => this.roomWaiters.push(r));
    }
  }

  async send(topic: string, messages: readonly OutgoingMessage[]): Promise<SendReceipt> {
    const work = this.publishAll(topic, messages);
    this.inFlight.add(work);
    try {
      return await work;
    } finally {
      this.inFlight.delete(work);
    }
  }

  private async publishAll(topic: string, messages: readonly OutgoingMessage[]): Promise<SendReceipt> {
    const s = await this.connected();
    const n = messages.length;
    const partitions = new Int32Array(n);
    const offsets = new Float64Array(n).fill(-1);
    if (n === 0) return { partitions, offsets };
    const count = await this.partitions(s, topic);
    // Sends publish one after another (their confirms overlap): concurrent sends sharing the
    // window message by message would all finish together, at the end of the slowest.
    const turn = this.publishing.then(() => this.publishRun(s, topic, messages, count, partitions));
    this.publishing = turn.then(
      () => {},
      () => {},
    );
    await (await turn)();
    if (s.closed) throw s.closed;
    return { partitions, offsets };
  }

  /** Publishes one send's messages; returns a wait for their confirms. */
  private async publishRun(
    s: Session,
    topic: string,
    messages: readonly OutgoingMessage[],
    count: number,
    partitions: Int32Array,
  ): Promise<() => Promise<void>> {
    const exchange = topicExchange(topic);
    const timestamp = Date.now();
    let outstanding = 0;
    let failure: Error | null = null;
    let allConfirmed: (() => void) | null = null;
    const confirmed = (err: unknown) => {
      this.unconfirmed--;
      this.roomWaiters.shift()?.();
      if (err && !failure) {
        failure = err instanceof Error ? err : new Error(`message nacked by RabbitMQ: ${String(err)}`);
      }
      if (--outstanding === 0) allConfirmed?.();
    };
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i];
      const p = this.chooser.choose(topic, m, count);
      partitions[i] = p;
      const headers: Record<string, Buffer> = {};
      for (const [k, v] of Object.entries(m.headers ?? {})) headers[k] = asBuffer(v);
      if (m.key !== undefined && m.key !== null) headers[KEY_HEADER] = asBuffer(m.key);
      const options = { persistent: true, headers, timestamp };
      let writable: boolean;
      if (this.cfg.confirms) {
        await this.room(s);
        if (s.closed) throw s.closed;
        this.unconfirmed++;
        outstanding++;
        const ch = s.channel as ConfirmChannel;
        writable = ch.publish(exchange, String(p), asBuffer(m.value), options, confirmed);
      } else {
        if (s.closed) throw s.closed;
        writable = s.channel.publish(exchange, String(p), asBuffer(m.value), options);
      }
      if (!writable) await this.drained(s);
    }
    return async () => {
      if (outstanding > 0) {
        await new Promise<void>((resolve) => {
          allConfirmed = resolve;
        });
      }
      if (failure) throw failure;
    };
  }

  private drained(s: Session): Promise<void> {
    return new Promise((resolve) => {
      if (s.closed) return resolve();
      const done = () => {
        s.channel.off('drain', done);
        s.conn.off('close', done);
        resolve();
      };
      s.channel.once('drain', done);
      s.conn.once('close', done);
    });
  }

  async flush(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  async close(): Promise<void> {
    await this.flush();
    this.closing = true;
    const s = this.current ?? (await this.connecting?.catch(() => null)) ?? null;
    this.current = null;
    if (s && !s.closed) await s.conn.close().catch(() => {});
  }
}
