/**
 * The consumer a verify-loss worker drives: the driver contract's consumer plus what checking
 * needs and the contract does not say — assignment changes, an explicit commit of one partition
 * at a chosen offset, and a short session timeout so a crashed member's partitions move on in
 * seconds.
 *
 * For the `mq` driver it is mq's own client Consumer, configured for that (no auto-commit). For
 * other drivers it is their driver consumer: no assignment events, and commits are left to the
 * driver, which acknowledges each batch after it was handled (commit() answers false and nothing
 * is recorded), which the checker handles as a consumer without a known commit.
 */

import { Consumer } from '../../client/index.js';
import type { IncomingBatch } from '../../drivers/driver.js';
import { createDriver, type DriverSpec } from '../../drivers/index.js';

export interface VerifyConsumerHooks {
  onBatch(batch: IncomingBatch): Promise<void>;
  onAssign(partitions: number[]): void | Promise<void>;
  onRevoke(partitions: number[]): void | Promise<void>;
  onError(err: Error): void;
}

export interface VerifyConsumer {
  /** Resolves once the first assignment is known and fetching has begun. */
  start(hooks: VerifyConsumerHooks): Promise<void>;
  /** Commits `offset` (the next to read) for one partition; false when this consumer cannot. */
  commit(partition: number, offset: number): Promise<boolean>;
  close(): Promise<void>;
}

export interface VerifyConsumerSettings {
  topic: string;
  group: string;
  sessionTimeoutMs: number;
}

export function createVerifyConsumer(spec: DriverSpec, s: VerifyConsumerSettings): VerifyConsumer {
  return spec.name === 'mq' ? new MqVerifyConsumer(spec, s) : new DriverVerifyConsumer(spec, s);
}

class MqVerifyConsumer implements VerifyConsumer {
  private consumer: Consumer | null = null;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly spec: DriverSpec,
    private readonly s: VerifyConsumerSettings,
  ) {}

  async start(hooks: VerifyConsumerHooks): Promise<void> {
    const o = this.spec.options;
    let assigned!: () => void;
    const ready = new Promise<void>((r) => {
      assigned = r;
    });
    const consumer = new Consumer({
      bootstrap: o.brokers,
      clientId: o.clientId ?? 'mq-verify',
      connectTimeoutMs: o.connectTimeoutMs,
      requestTimeoutMs: o.requestTimeoutMs,
      groupId: this.s.group,
      autoOffsetReset: 'earliest',
      autoCommit: false,
      maxWaitMs: 100,
      sessionTimeoutMs: this.s.sessionTimeoutMs,
      heartbeatIntervalMs: Math.max(100, Math.floor(this.s.sessionTimeoutMs / 6)),
      rebalanceTimeoutMs: this.s.sessionTimeoutMs * 2,
      onAssign: async (tps) => {
        await hooks.onAssign(tps.map((t) => t.partition).sort((a, b) => a - b));
        assigned();
      },
      onRevoke: (tps) => hooks.onRevoke(tps.map((t) => t.partition).sort((a, b) => a - b)),
    });
    this.consumer = consumer;
    consumer.subscribe({ topics: [this.s.topic] });
    let failed!: (e: Error) => void;
    const failedEarly = new Promise<never>((_, reject) => {
      failed = reject;
    });
    failedEarly.catch(() => {});
    this.loop = consumer
      .run({
        eachBatch: (b) =>
          hooks.onBatch({
            topic: b.topic,
            partition: b.partition,
            messages: b.records,
            highWatermark: b.highWatermark,
          }),
      })
      .catch((err: Error) => {
        failed(err);
        hooks.onError(err);
      });
    await Promise.race([ready, failedEarly]);
  }

  async commit(partition: number, offset: number): Promise<boolean> {
    await this.consumer!.commit([{ topic: this.s.topic, partition, offset }]);
    return true;
  }

  async close(): Promise<void> {
    await this.consumer?.close();
    await this.loop;
  }
}

class DriverVerifyConsumer implements VerifyConsumer {
  private readonly driver;
  private readonly consumer;

  constructor(spec: DriverSpec, s: VerifyConsumerSettings) {
    this.driver = createDriver(spec.name, spec.options);
    this.consumer = this.driver.createConsumer({
      topic: s.topic,
      group: this.driver.capabilities.consumerGroups ? s.group : undefined,
      fromBeginning: true,
      // The driver acknowledges each batch once onBatch returned (at-least-once): without it an
      // engine that tracks deliveries (Redis' pending entries, RabbitMQ's unacked) would hold
      // every message read until the consumer closes.
      autoCommit: true,
    });
  }

  async start(hooks: VerifyConsumerHooks): Promise<void> {
    await this.consumer.start((b) => hooks.onBatch(b), hooks.onError);
  }

  async commit(): Promise<boolean> {
    return false;
  }

  async close(): Promise<void> {
    await this.consumer.close();
    await this.driver.close();
  }
}
