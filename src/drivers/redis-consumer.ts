/**
 * Redis Streams consumer. With a group: the Redis consumer group of that name on every partition
 * stream (created at the start, from the first entry or from the end), read with XREADGROUP on a
 * connection of its own (the read blocks), acknowledged with XACK on another. Without a group:
 * plain XREAD from the first entry or the end, positions kept here.
 *
 * Each read's entries are handed to onBatch one partition at a time, in ID order; they are acked
 * after onBatch returned: after every read with autoCommit, else by commit(). Entries another
 * consumer read and did not ack (it crashed) are found with XPENDING once idle for `claimIdleMs`
 * and taken over with XCLAIM (batches marked `claimed`), so a group loses nothing to a dead member. A clean close leaves no pending entry
 * behind when everything was acked, and then removes its consumer name from the group.
 *
 * Messages carry their offsets (redis-streams.ts); batches carry highWatermark -1 (a read does
 * not tell the stream's end).
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { Redis } from 'ioredis';
import type { ConsumerDriver, ConsumerSettings, IncomingBatch } from './driver.js';
import { metaKey, type RawEntry, type ReadReply, streamKey, toMessage } from './redis-streams.js';

export interface RedisConsumerConfig {
  url: string;
  /** Entries per stream per read. */
  count: number;
  blockMs: number;
  claimIdleMs: number;
  connectTimeoutMs: number;
}

export class RedisConsumer implements ConsumerDriver {
  private reader: Redis | null = null;
  private cmd: Redis | null = null;
  private keys: string[] = [];
  private positions: string[] = [];
  private readonly consumerName = `${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  /** Handled entries not acked yet, per partition. */
  private unacked: string[][] = [];
  private loop: Promise<void> | null = null;
  private stopping = false;
  private lastClaim = 0;
  /** The last autoCommit XACK, overlapping the next read (at most one in flight). */
  private acking: Promise<void> = Promise.resolve();

  constructor(
    private readonly cfg: RedisConsumerConfig,
    private readonly settings: ConsumerSettings,
  ) {}

  private connection(blocking: boolean): Redis {
    return new Redis(this.cfg.url, {
      lazyConnect: true,
      connectTimeout: this.cfg.connectTimeoutMs,
      // RESP2 reply shapes (RESP3 turns XREAD's per-stream array into a flattened map).
      protocol: 2,
      // The reader waits out a server restart; commands fail after a few retries instead.
      maxRetriesPerRequest: blocking ? null : 20,
    });
  }

  async start(
    onBatch: (batch: IncomingBatch) => void | Promise<void>,
    onError?: (err: Error) => void,
  ): Promise<void> {
    const { topic, group, fromBeginning } = this.settings;
    this.cmd = this.connection(false);
    this.reader = this.connection(true);
    this.cmd.on('error', () => {});
    this.reader.on('error', () => {});
    await Promise.all([this.cmd.connect(), this.reader.connect()]);
    const n = Number(await this.cmd.hget(metaKey(topic), 'partitions'));
    if (!n) throw new Error(`topic ${topic} does not exist`);
    this.keys = Array.from({ length: n }, (_, p) => streamKey(topic, p));
    this.unacked = this.keys.map(() => []);
    if (group) {
      for (const key of this.keys) {
        await this.cmd.xgroup('CREATE', key, group, fromBeginning ? '0' : '$').catch((err: Error) => {
          if (!/BUSYGROUP/.test(err.message)) throw err;
        });
      }
      this.positions = this.keys.map(() => '>');
    } else {
      this.positions = fromBeginning
        ? this.keys.map(() => '0-0')
        : await Promise.all(this.keys.map((k) => this.lastId(k)));
    }
    this.loop = this.run(onBatch).catch((err: Error) => {
      this.stopping = true;
      onError?.(err);
    });
  }

  private async lastId(key: string): Promise<string> {
    const info = (await this.cmd!.call('XINFO', 'STREAM', key)) as unknown[];
    const i = info.indexOf('last-generated-id');
    return String(info[i + 1]);
  }

  private async run(onBatch: (batch: IncomingBatch) => void | Promise<void>): Promise<void> {
    const { topic, group } = this.settings;
    const deliver = async (p: number, entries: RawEntry[], claimed = false) => {
      const live = entries.filter((e) => e[1] !== null);
      if (live.length > 0) {
        const messages = live.map(toMessage);
        await onBatch(
          claimed
            ? { topic, partition: p, messages, highWatermark: -1, claimed }
            : { topic, partition: p, messages, highWatermark: -1 },
        );
      }
      if (group) for (const e of entries) this.unacked[p].push(e[0].toString());
      else if (entries.length > 0) this.positions[p] = entries[entries.length - 1][0].toString();
    };
    while (!this.stopping) {
      if (group && Date.now() - this.lastClaim >= Math.min(1000, this.cfg.claimIdleMs)) {
        this.lastClaim = Date.now();
        for (let p = 0; p < this.keys.length && !this.stopping; p++) {
          await deliver(p, await this.claim(this.keys[p], group), true);
        }
      }
      const args = group ? ['XREADGROUP', 'GROUP', group, this.consumerName] : ['XREAD'];
      const reply = (await this.reader!.callBuffer(
        ...(args as [string]),
        'COUNT',
        this.cfg.count,
        'BLOCK',
        this.cfg.blockMs,
        'STREAMS',
        ...this.keys,
        ...this.positions,
      )) as ReadReply;
      for (const [key, entries] of reply ?? []) {
        await deliver(this.keys.indexOf(key.toString()), entries);
      }
      if (group && (this.settings.autoCommit ?? true)) {
        const previous = this.acking;
        this.acking = this.commit();
        this.acking.catch(() => {});
        await previous;
      }
    }
    await this.acking;
  }

  /**
   * Entries other members read and left unacked for claimIdleMs (they died), now this
   * consumer's: XPENDING with an IDLE filter, then XCLAIM. Its own unacked entries are left alone.
   */
  private async claim(key: string, group: string): Promise<RawEntry[]> {
    const pending = (await this.cmd!.call(
      'XPENDING',
      key,
      group,
      'IDLE',
      this.cfg.claimIdleMs,
      '-',
      '+',
      this.cfg.count,
    )) as [string, string, number, number][];
    const ids = pending.filter(([, owner]) => owner !== this.consumerName).map(([id]) => id);
    if (ids.length === 0) return [];
    const claimed = (await this.cmd!.callBuffer(
      'XCLAIM',
      key,
      group,
      this.consumerName,
      this.cfg.claimIdleMs,
      ...ids,
    )) as RawEntry[];
    return claimed.filter((e) => e !== null);
  }

  async commit(): Promise<void> {
    const group = this.settings.group;
    if (!group || !this.cmd) return;
    const acks = this.unacked.map((ids, p) => [p, ids] as const).filter(([, ids]) => ids.length > 0);
    if (acks.length === 0) return;
    this.unacked = this.keys.map(() => []);
    const pipe = this.cmd.pipeline();
    for (const [p, ids] of acks) pipe.xack(this.keys[p], group, ...ids);
    const results = (await pipe.exec()) ?? [];
    const failed = results.find(([err]) => err);
    if (failed) throw failed[0];
  }

  async close(): Promise<void> {
    this.stopping = true;
    await this.loop;
    await this.acking.catch(() => {});
    const group = this.settings.group;
    if (group && this.cmd) {
      if (this.settings.autoCommit ?? true) await this.commit().catch(() => {});
      // Leave no consumer name behind when it holds nothing (DELCONSUMER drops its pending).
      for (const key of this.keys) {
        const mine = (await this.cmd
          .xpending(key, group, '-', '+', 1, this.consumerName)
          .catch(() => [1])) as unknown[];
        if (mine.length === 0)
          await this.cmd.xgroup('DELCONSUMER', key, group, this.consumerName).catch(() => {});
      }
    }
    this.reader?.disconnect();
    await this.cmd?.quit().catch(() => {});
    this.reader = null;
    this.cmd = null;
  }
}
