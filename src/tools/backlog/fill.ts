/**
 * `mq backlog fill`: builds a backlog for tests and drills — N messages (or about S bytes of
 * payload) of one size, spread evenly over the topic's partitions, as fast as the driver takes
 * them.
 *
 * Every message carries the load tools' stamp (tools/stamp.ts: producer id, sequence 0..N−1,
 * send time), so a drain can be checked message by message afterwards. Sends go one partition
 * per call (the producer's batch path) with a bounded amount unsettled; the fill fails when any
 * send fails, and resolves only once every message is acknowledged.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Driver, OutgoingMessage } from '../../drivers/driver.js';
import { nowMicros } from '../../metrics/clock.js';
import { STAMP_HEADER, stampRun } from '../stamp.js';

export interface BacklogFillOptions {
  topic: string;
  /** Exactly one of messages / bytes. `bytes` counts payload: messages = ceil(bytes / size). */
  messages?: number;
  bytes?: number;
  /** Payload bytes per message (default 100). */
  messageSize?: number;
  /** Partitions when the topic must be created (default 8); an existing topic keeps its own. */
  partitions?: number;
  /** Producer id in the stamps (default random). */
  producerId?: number;
  /** Called about every 100 ms with the messages acknowledged so far. */
  onProgress?: (acked: number, total: number) => void;
  /** Called per acknowledged send: `count` messages from stamp sequence `sequence` at `offset` on. */
  onAck?: (ack: FillAck) => void;
}

export interface FillAck {
  partition: number;
  sequence: number;
  count: number;
  /** Offset of the first (−1 when unknown). */
  offset: number;
}

export interface BacklogFillResult {
  topic: string;
  partitions: number;
  /** True when this fill created the topic. */
  created: boolean;
  messages: number;
  messageSize: number;
  /** Payload bytes written. */
  bytes: number;
  producerId: number;
  seconds: number;
  rate: number;
  MBps: number;
}

/** The fill could not start: bad options, or no broker / topic to fill (exit 2). */
export class BacklogFillError extends Error {
  override name = 'BacklogFillError';
}

/** A send failed part-way: the backlog holds what was acknowledged before (exit 1). */
export class BacklogSendError extends Error {
  override name = 'BacklogSendError';
}

const MAX_PENDING_BYTES = 16 << 20;

export function messagesToFill(o: Pick<BacklogFillOptions, 'messages' | 'bytes' | 'messageSize'>): number {
  const size = o.messageSize ?? 100;
  if ((o.messages === undefined) === (o.bytes === undefined)) {
    throw new BacklogFillError('give either a message count or a size, not both and not neither');
  }
  if (!(size >= 1 && Number.isInteger(size))) throw new BacklogFillError(`message size ${size} must be ≥ 1`);
  const n = o.messages ?? Math.ceil(o.bytes! / size);
  if (!(Number.isSafeInteger(n) && n >= 1)) throw new BacklogFillError(`nothing to fill (${n} messages)`);
  return n;
}

export async function fillBacklog(driver: Driver, o: BacklogFillOptions): Promise<BacklogFillResult> {
  const total = messagesToFill(o);
  const size = o.messageSize ?? 100;
  const producerId = o.producerId ?? randomInt(1, 2 ** 31);
  const setup = async (): Promise<[number, boolean]> => {
    const existing = await driver.admin.partitionCount(o.topic);
    if (existing !== null) return [existing, false];
    const created = await driver.admin.createTopic(o.topic, o.partitions ?? 8);
    return [(await driver.admin.partitionCount(o.topic)) ?? o.partitions ?? 8, created];
  };
  const [partitions, created] = await setup().catch((err: Error) => {
    throw new BacklogFillError(`cannot prepare topic ${o.topic}: ${err.message} (check --brokers)`);
  });
  const producer = driver.createProducer({ acks: -1, batchSize: 256 * 1024, lingerMs: 0 });
  const payload = randomBytes(size);
  // Per call: up to ~256 KiB of one partition, at most 2000 messages, and no more than an even
  // share, so a small backlog still lands on every partition.
  const chunk = Math.max(
    1,
    Math.min(2000, Math.floor((256 << 10) / (size + 48)), Math.ceil(total / partitions)),
  );
  const maxPending = Math.max(chunk * partitions, Math.floor(MAX_PENDING_BYTES / (size + 48)));
  const started = nowMicros();
  let sent = 0;
  let acked = 0;
  let pending = 0;
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  let lastProgress = 0;
  try {
    await producer.connect();
    let partition = 0;
    while (sent < total && !failure) {
      if (pending >= maxPending) {
        await new Promise<void>((r) => {
          wake = r;
        });
        continue;
      }
      const n = Math.min(chunk, total - sent);
      const at = nowMicros();
      const first = sent;
      const stamps = stampRun(producerId, first, n, () => at);
      const messages = new Array<OutgoingMessage>(n);
      for (let i = 0; i < n; i++) {
        messages[i] = { key: null, value: payload, headers: { [STAMP_HEADER]: stamps[i] }, partition };
      }
      const target = partition;
      partition = (partition + 1) % partitions;
      sent += n;
      pending += n;
      producer
        .send(o.topic, messages)
        .then(
          (receipt) => {
            acked += n;
            o.onAck?.({ partition: target, sequence: first, count: n, offset: receipt.offsets[0] ?? -1 });
          },
          (err: Error) => {
            failure ??= err;
          },
        )
        .finally(() => {
          pending -= n;
          const w = wake;
          wake = null;
          w?.();
        });
      const now = Date.now();
      if (o.onProgress && now - lastProgress >= 100) {
        lastProgress = now;
        o.onProgress(acked, total);
      }
      await yieldToLoop();
    }
    while (pending > 0) {
      await new Promise<void>((r) => {
        wake = r;
      });
    }
    await producer.flush();
  } finally {
    await producer.close().catch(() => {});
  }
  if (failure)
    throw new Error(
      `backlog fill of ${o.topic} failed after ${acked} messages: ${(failure as Error).message}`,
    );
  o.onProgress?.(acked, total);
  const seconds = (nowMicros() - started) / 1e6;
  return {
    topic: o.topic,
    partitions,
    created,
    messages: acked,
    messageSize: size,
    bytes: acked * size,
    producerId,
    seconds,
    rate: acked / seconds,
    MBps: (acked * size) / (1 << 20) / seconds,
  };
}
