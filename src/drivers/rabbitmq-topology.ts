/**
 * How a partitioned topic and its consumer groups are laid out in RabbitMQ, and the admin
 * operations on that layout. For topic T with N partitions and consumer group G:
 *
 *   exchange  mq.T            direct, durable; a message for partition p has routing key "p";
 *                             alternate exchange mq.T.unrouted
 *   queue     mq.T.g.G.p      durable (classic or quorum): group G's copy of partition p, bound
 *                             to mq.T with key "p" when the group is first used
 *   exchange  mq.T.unrouted   direct, internal: where a message goes when no group is bound yet
 *   queue     mq.T.unclaimed.p  durable: partition p's messages published before any group
 *                             existed; the first groups to consume from the beginning drain it
 *   queue     mq.T.groups     one persistent message per group name: AMQP cannot list queues,
 *                             and deleting a topic must find its groups' queues
 *
 * Invariants: mq.T is declared last, so its existence means the topic is complete; the
 * unclaimed queues exist for p < N only, so N is found by probing them (AMQP cannot read an
 * exchange's arguments back). RabbitMQ keeps no log: a group sees what was published after its
 * queues were bound, plus what is left in the unclaimed queues.
 */
import type { Channel, ChannelModel } from 'amqplib';

export type QueueType = 'classic' | 'quorum';

export const topicExchange = (t: string) => `mq.${t}`;
export const unroutedExchange = (t: string) => `mq.${t}.unrouted`;
export const unclaimedQueue = (t: string, p: number) => `mq.${t}.unclaimed.${p}`;
export const groupQueue = (t: string, g: string, p: number) => `mq.${t}.g.${g}.${p}`;
export const registryQueue = (t: string) => `mq.${t}.groups`;

export function queueArguments(type: QueueType): Record<string, unknown> {
  return { 'x-queue-type': type };
}

/** amqplib errors for a missing queue or exchange carry AMQP reply code 404. */
export const isNotFound = (err: unknown) => (err as { code?: number }).code === 404;

/**
 * A channel that is reopened after the server closed it (a passive check of a missing queue
 * closes the channel with 404; that is how existence is tested in AMQP). Operations run one at a
 * time, so one that closes the channel never takes another one's reply with it.
 */
export class ResilientChannel {
  private channel: Promise<Channel> | null = null;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly conn: ChannelModel) {}

  private open(): Promise<Channel> {
    if (this.channel) return this.channel;
    const opening: Promise<Channel> = this.conn.createChannel().then((ch) => {
      ch.on('error', () => {});
      ch.on('close', () => {
        if (this.channel === opening) this.channel = null;
      });
      return ch;
    });
    opening.catch(() => {
      if (this.channel === opening) this.channel = null;
    });
    this.channel = opening;
    return opening;
  }

  run<T>(op: (ch: Channel) => Promise<T>): Promise<T> {
    const next = this.tail.then(async () => {
      const opened = this.open();
      try {
        return await op(await opened);
      } catch (err) {
        // The server closes the channel on any failed operation: the next one opens another.
        if (this.channel === opened) this.channel = null;
        throw err;
      }
    });
    this.tail = next.catch(() => {});
    return next;
  }

  /** The operation's result, or null when it failed with 404 (the channel is reopened). */
  async orNull<T>(op: (ch: Channel) => Promise<T>): Promise<T | null> {
    try {
      return await this.run(op);
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async close(): Promise<void> {
    const c = this.channel;
    this.channel = null;
    if (c) await (await c).close().catch(() => {});
  }
}

export class RabbitTopology {
  constructor(
    private readonly ch: ResilientChannel,
    private readonly queueType: QueueType,
  ) {}

  async topicExists(topic: string): Promise<boolean> {
    return (await this.ch.orNull((c) => c.checkExchange(topicExchange(topic)))) !== null;
  }

  /** Partition count, or null when the topic does not exist. */
  async partitionCount(topic: string): Promise<number | null> {
    if (!(await this.topicExists(topic))) return null;
    let n = 0;
    while ((await this.ch.orNull((c) => c.checkQueue(unclaimedQueue(topic, n)))) !== null) n++;
    return n;
  }

  /** Declares the whole layout of a topic; false when it existed. */
  async createTopic(topic: string, partitions: number): Promise<boolean> {
    if (await this.topicExists(topic)) return false;
    const args = queueArguments(this.queueType);
    await this.ch.run(async (c) => {
      await c.assertExchange(unroutedExchange(topic), 'direct', { durable: true, internal: true });
      for (let p = 0; p < partitions; p++) {
        const q = unclaimedQueue(topic, p);
        await c.assertQueue(q, { durable: true, arguments: args });
        await c.bindQueue(q, unroutedExchange(topic), String(p));
      }
      await c.assertQueue(registryQueue(topic), { durable: true, arguments: queueArguments('classic') });
      await c.assertExchange(topicExchange(topic), 'direct', {
        durable: true,
        alternateExchange: unroutedExchange(topic),
        arguments: { 'x-mq-partitions': partitions },
      });
    });
    return true;
  }

  /**
   * Declares group G's queues and binds them (idempotent); records G in the topic's registry the
   * first time. Returns the partition count.
   */
  async declareGroup(topic: string, group: string): Promise<number> {
    const n = await this.partitionCount(topic);
    if (n === null) throw new Error(`topic ${topic} does not exist (create it first)`);
    const isNew = (await this.ch.orNull((c) => c.checkQueue(groupQueue(topic, group, 0)))) === null;
    const args = queueArguments(this.queueType);
    await this.ch.run(async (c) => {
      for (let p = 0; p < n; p++) {
        const q = groupQueue(topic, group, p);
        await c.assertQueue(q, { durable: true, arguments: args });
        await c.bindQueue(q, topicExchange(topic), String(p));
      }
      if (isNew) c.sendToQueue(registryQueue(topic), Buffer.from(group), { persistent: true });
    });
    return n;
  }

  /** Group names recorded for a topic (read, then returned to the queue). */
  async groups(topic: string): Promise<string[]> {
    const names = new Set<string>();
    await this.ch.orNull(async (c) => {
      for (;;) {
        const m = await c.get(registryQueue(topic), { noAck: false });
        if (m === false) break;
        names.add(m.content.toString());
      }
      c.nackAll(true);
    });
    return [...names];
  }

  /** Ready messages in a queue, or null when it does not exist. */
  async depth(queue: string): Promise<number | null> {
    const r = await this.ch.orNull((c) => c.checkQueue(queue));
    return r ? r.messageCount : null;
  }

  async deleteTopic(topic: string): Promise<void> {
    const n = (await this.partitionCount(topic)) ?? 0;
    const groups = n > 0 ? await this.groups(topic) : [];
    const queues = [
      ...groups.flatMap((g) => Array.from({ length: n }, (_, p) => groupQueue(topic, g, p))),
      ...Array.from({ length: n }, (_, p) => unclaimedQueue(topic, p)),
      registryQueue(topic),
    ];
    for (const q of queues) await this.ch.orNull((c) => c.deleteQueue(q));
    await this.ch.orNull((c) => c.deleteExchange(topicExchange(topic)));
    await this.ch.orNull((c) => c.deleteExchange(unroutedExchange(topic)));
  }
}
