/**
 * `mq produce` as a service: lines in, messages out through mq's own producer, and a summary of
 * what was acknowledged (the `--json` contract).
 *
 * Sends are not awaited one by one; at most MAX_UNSETTLED are outstanding, which keeps memory
 * bounded when stdin is a large file. Sends to a partition are appended in call order, so the
 * order of lines is the order in each partition. The first failed send stops reading and is
 * reported after the others settle.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { UsageError } from '../../cli/units.js';
import { Producer, type RecordHeader } from '../../client/index.js';
import { explainClientError, topicMissing } from '../admin/errors.js';
import { CLI_CLIENT_ID, CLI_CONNECT_TIMEOUT_MS } from '../admin/session.js';
import { type Acks, splitLine } from './lines.js';

const MAX_UNSETTLED = 10_000;

export interface ProduceOptions {
  brokers: string;
  topic: string;
  input: Readable;
  keySeparator?: string;
  headers?: readonly RecordHeader[];
  partition?: number;
  acks?: Acks;
  compression?: 'none' | 'gzip';
  idempotent?: boolean;
  lingerMs?: number;
}

export interface PartitionProduced {
  partition: number;
  messages: number;
  /** Offsets the broker assigned; null with acks 0 (no answer). */
  firstOffset: number | null;
  lastOffset: number | null;
}

export interface ProduceResult {
  topic: string;
  messages: number;
  /** Key and value bytes (UTF-8), headers left out. */
  bytes: number;
  partitions: PartitionProduced[];
}

export async function produceLines(opts: ProduceOptions): Promise<ProduceResult> {
  const acks = opts.acks ?? -1;
  if (opts.idempotent && acks !== -1) throw new UsageError('--idempotent needs --acks all');
  let producer: Producer | undefined;
  try {
    producer = new Producer({
      bootstrap: opts.brokers,
      clientId: CLI_CLIENT_ID,
      connectTimeoutMs: CLI_CONNECT_TIMEOUT_MS,
      acks,
      compression: opts.compression ?? 'none',
      idempotent: opts.idempotent ?? false,
      lingerMs: opts.lingerMs ?? 5,
      maxInFlight: opts.idempotent ? 5 : 1,
    });
    // Fail on an unreachable broker or a missing topic before reading any input.
    await producer.connect();
    const [meta] = await producer.cluster.ensureTopics([opts.topic]);
    const count = meta.partitions.length;
    if (opts.partition !== undefined && !(opts.partition >= 0 && opts.partition < count)) {
      throw new UsageError(
        `--partition ${opts.partition}: topic ${opts.topic} has partitions 0..${count - 1} (see \`mq topics describe ${opts.topic}\`)`,
      );
    }
    return await sendAll(producer, opts);
  } catch (err) {
    throw explainClientError(err, opts.brokers, topicMissing(opts.topic));
  } finally {
    await producer?.close().catch(() => {});
  }
}

async function sendAll(producer: Producer, opts: ProduceOptions): Promise<ProduceResult> {
  const stats = new Map<number, PartitionProduced>();
  let messages = 0;
  let bytes = 0;
  let unsettled = 0;
  let failure: Error | null = null;
  // Resolved when `unsettled` drops to `below`: room for more sends, or (0) all settled.
  let waiter: { below: number; resolve: () => void } | null = null;
  const waitUntilBelow = (below: number) =>
    new Promise<void>((resolve) => {
      if (unsettled <= below) resolve();
      else waiter = { below, resolve };
    });
  const settled = () => {
    unsettled--;
    if (waiter && unsettled <= waiter.below) {
      waiter.resolve();
      waiter = null;
    }
  };
  const lines = createInterface({ input: opts.input, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    if (failure) break;
    const { key, value } = splitLine(line, opts.keySeparator);
    bytes += Buffer.byteLength(value) + (key === null ? 0 : Buffer.byteLength(key));
    messages++;
    unsettled++;
    producer
      .send({ topic: opts.topic, key, value, headers: opts.headers, partition: opts.partition })
      .then(
        (meta) => record(stats, meta.partition, meta.offset),
        (err: Error) => (failure ??= err),
      )
      .finally(settled);
    if (unsettled >= MAX_UNSETTLED) await waitUntilBelow(MAX_UNSETTLED / 2);
  }
  lines.close();
  await waitUntilBelow(0);
  if (failure) throw failure;
  return {
    topic: opts.topic,
    messages,
    bytes,
    partitions: [...stats.values()].sort((a, b) => a.partition - b.partition),
  };
}

function record(stats: Map<number, PartitionProduced>, partition: number, offset: number): void {
  const s = stats.get(partition) ?? { partition, messages: 0, firstOffset: null, lastOffset: null };
  s.messages++;
  if (offset >= 0) {
    s.firstOffset = s.firstOffset === null ? offset : Math.min(s.firstOffset, offset);
    s.lastOffset = s.lastOffset === null ? offset : Math.max(s.lastOffset, offset);
  }
  stats.set(partition, s);
}
