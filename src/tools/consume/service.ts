/**
 * `mq consume` as a service: messages of one topic handed to an output callback in order, from a
 * group (`group`) or from explicit positions (`offset`, `partitions`), until `maxMessages`, an
 * idle period, or the caller's abort signal.
 *
 * Commit invariant (group mode): an offset is committed only after the output callback for the
 * messages before it has resolved, i.e. after they were written. The consumer's own auto-commit is
 * off because it works per fetched batch, and `maxMessages` can end in the middle of one; instead
 * what was output is committed every COMMIT_INTERVAL_MS, when partitions are revoked in a
 * rebalance (so the member taking them over starts right after what was printed), and at the end.
 */
import { ActionableError } from '../../cli/errors.js';
import { UsageError } from '../../cli/units.js';
import {
  Admin,
  type AssignedPartition,
  Consumer,
  type ConsumerBatch,
  type ConsumerRecord,
  type TopicPartition,
  type TopicPartitionOffset,
} from '../../client/index.js';
import { explainClientError, topicMissing } from '../admin/errors.js';
import { CLI_CLIENT_ID, CLI_CONNECT_TIMEOUT_MS } from '../admin/session.js';
import { resolveStart, type StartOffset } from './start.js';

const COMMIT_INTERVAL_MS = 1000;
const FINAL_COMMIT_ATTEMPTS = 3;

export interface ConsumedMessage extends ConsumerRecord {
  topic: string;
  partition: number;
}

export interface ConsumeOptions {
  brokers: string;
  topic: string;
  /** Join this group: partitions come from it, positions from its committed offsets. */
  group?: string;
  /** Start at the log start: with a group, where it has no committed offset (default: the end). */
  fromBeginning?: boolean;
  /** Without a group: where to start (default: the end, or the start with fromBeginning). */
  offset?: StartOffset;
  /** Without a group: these partitions only (default: all). */
  partitions?: readonly number[];
  maxMessages?: number;
  /** Stop after this long without a message. */
  idleTimeoutMs?: number;
  signal?: AbortSignal;
  /** Gets each batch's messages in offset order; its promise resolving means "written". */
  output: (messages: ConsumedMessage[]) => void | Promise<void>;
}

export type StopReason = 'max-messages' | 'idle' | 'stopped';

export interface ConsumeResult {
  topic: string;
  group: string | null;
  messages: number;
  stoppedBy: StopReason;
  /** Group mode: the offsets committed at the end (next offset to read per partition). */
  committed: TopicPartitionOffset[];
}

export async function consumeMessages(opts: ConsumeOptions): Promise<ConsumeResult> {
  if (opts.group !== undefined && (opts.offset !== undefined || opts.partitions !== undefined)) {
    throw new UsageError(
      '--offset and --partition choose positions by hand; with --group the group assigns partitions and remembers positions (use --from-beginning for a new group)',
    );
  }
  let consumer: Consumer | undefined;
  let batches: AsyncGenerator<ConsumerBatch, void, undefined> | undefined;
  const positions = new OutputPositions();
  try {
    const assignment = await plan(opts);
    consumer = new Consumer({
      bootstrap: opts.brokers,
      clientId: CLI_CLIENT_ID,
      connectTimeoutMs: CLI_CONNECT_TIMEOUT_MS,
      groupId: opts.group,
      autoOffsetReset: opts.fromBeginning ? 'earliest' : 'latest',
      autoCommit: false,
      onRevoke: async (revoked) => {
        await positions.commit(consumer!, revoked, true).catch(() => {});
      },
    });
    if (opts.group !== undefined) consumer.subscribe({ topics: [opts.topic] });
    else consumer.assign(assignment);
    batches = consumer.batches();
    if (opts.group !== undefined) positions.commitPeriodically(consumer);
    const { messages, stoppedBy } = await pump(batches, opts, positions);
    positions.stopPeriodicCommits();
    const committed = opts.group !== undefined ? await positions.finalCommit(consumer) : [];
    return { topic: opts.topic, group: opts.group ?? null, messages, stoppedBy, committed };
  } catch (err) {
    throw explainClientError(err, opts.brokers, topicMissing(opts.topic));
  } finally {
    positions.stopPeriodicCommits();
    if (consumer) await stop(consumer, batches);
  }
}

/**
 * Ends the fetch loop (it may be waiting on a fetch, or suspended after a batch that will not be
 * output), leaves the group and closes the connections. close() must come first: it marks the
 * consumer as stopping, so the loop yields nothing more and return() can finish it.
 */
async function stop(consumer: Consumer, batches: AsyncGenerator<ConsumerBatch> | undefined): Promise<void> {
  const closing = consumer.close();
  await batches?.return(undefined).catch(() => {});
  await closing.catch(() => {});
}

/** Checks the topic exists and, without a group, works out each partition's start offset. */
async function plan(opts: ConsumeOptions): Promise<AssignedPartition[]> {
  const admin = new Admin({
    bootstrap: opts.brokers,
    clientId: CLI_CLIENT_ID,
    connectTimeoutMs: CLI_CONNECT_TIMEOUT_MS,
  });
  try {
    await admin.connect();
    const [meta] = await admin.describeTopics([opts.topic]);
    if (opts.group !== undefined) return [];
    const all = meta.partitions.map((p) => p.partition);
    const chosen = opts.partitions ?? all;
    const unknown = chosen.filter((p) => !all.includes(p));
    if (unknown.length > 0) {
      throw new UsageError(
        `--partition ${unknown.join(',')}: topic ${opts.topic} has partitions 0..${all.length - 1}`,
      );
    }
    const start: StartOffset = opts.offset ?? { kind: opts.fromBeginning ? 'earliest' : 'latest' };
    const [starts, ends, atTime] = await Promise.all([
      admin.listOffsets(opts.topic, 'earliest'),
      admin.listOffsets(opts.topic, 'latest'),
      start.kind === 'time' ? admin.listOffsets(opts.topic, start.timestamp) : Promise.resolve([]),
    ]);
    const at = (list: TopicPartitionOffset[], p: number) => list.find((o) => o.partition === p)?.offset;
    return chosen.map((partition) => ({
      topic: opts.topic,
      partition,
      offset: resolveStart(start, {
        logStart: at(starts, partition) ?? 0,
        logEnd: at(ends, partition) ?? 0,
        atTime: at(atTime, partition),
      }),
    }));
  } finally {
    await admin.close().catch(() => {});
  }
}

/** Runs the fetch loop into the output until a stop condition; returns how many messages went out. */
async function pump(
  batches: AsyncGenerator<ConsumerBatch, void, undefined>,
  opts: ConsumeOptions,
  positions: OutputPositions,
): Promise<{ messages: number; stoppedBy: StopReason }> {
  const max = opts.maxMessages ?? Number.POSITIVE_INFINITY;
  const interrupt = new Interrupt(opts.signal, opts.idleTimeoutMs);
  let messages = 0;
  let stoppedBy: StopReason | null = max <= 0 ? 'max-messages' : null;
  try {
    while (stoppedBy === null) {
      const next = await interrupt.race(batches.next());
      if (next === 'idle' || next === 'stopped') stoppedBy = next;
      else if (next.done) stoppedBy = 'stopped';
      else {
        const out = toMessages(next.value, max - messages);
        await opts.output(out);
        messages += out.length;
        positions.advance(next.value.topic, next.value.partition, out[out.length - 1].offset + 1);
        if (messages >= max) stoppedBy = 'max-messages';
        else if (opts.signal?.aborted) stoppedBy = 'stopped';
      }
    }
  } finally {
    interrupt.clear();
  }
  return { messages, stoppedBy };
}

function toMessages(batch: ConsumerBatch, room: number): ConsumedMessage[] {
  const records = batch.records.length > room ? batch.records.slice(0, room) : batch.records;
  return records.map((r) => ({
    topic: batch.topic,
    partition: batch.partition,
    offset: r.offset,
    timestamp: r.timestamp,
    key: r.key,
    value: r.value,
    headers: r.headers,
  }));
}

/** The next offset to read per partition after what was output, and what was committed of it. */
class OutputPositions {
  private readonly next = new Map<string, TopicPartitionOffset>();
  private readonly committed = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private periodic: Promise<unknown> | null = null;

  advance(topic: string, partition: number, offset: number): void {
    this.next.set(`${topic}/${partition}`, { topic, partition, offset });
  }

  /**
   * Commits what was output every COMMIT_INTERVAL_MS, also while no messages arrive (a consumer
   * idling at the end of the log has its last position committed). A failed periodic commit (a
   * rebalance starting) is retried by the next one or on revoke.
   */
  commitPeriodically(consumer: Consumer): void {
    this.timer = setInterval(() => {
      this.periodic ??= this.commit(consumer)
        .catch(() => {})
        .finally(() => {
          this.periodic = null;
        });
    }, COMMIT_INTERVAL_MS);
    this.timer.unref();
  }

  stopPeriodicCommits(): void {
    clearInterval(this.timer);
  }

  /** Commits output positions not yet committed; `forget` drops the partitions afterwards (revoked). */
  async commit(
    consumer: Consumer,
    only?: readonly TopicPartition[],
    forget = false,
  ): Promise<TopicPartitionOffset[]> {
    const keys = only ? only.map((tp) => `${tp.topic}/${tp.partition}`) : [...this.next.keys()];
    const todo = keys
      .map((k) => this.next.get(k))
      .filter(
        (p): p is TopicPartitionOffset =>
          p !== undefined && this.committed.get(`${p.topic}/${p.partition}`) !== p.offset,
      );
    try {
      if (todo.length > 0) await consumer.commit(todo);
      for (const p of todo) this.committed.set(`${p.topic}/${p.partition}`, p.offset);
    } finally {
      if (forget) {
        for (const k of keys) {
          this.next.delete(k);
          this.committed.delete(k);
        }
      }
    }
    return todo;
  }

  /** The end-of-run commit, retried briefly (a rebalance may be starting); failing it is reported. */
  async finalCommit(consumer: Consumer): Promise<TopicPartitionOffset[]> {
    await this.periodic;
    let last: unknown = null;
    for (let attempt = 0; attempt < FINAL_COMMIT_ATTEMPTS; attempt++) {
      try {
        await this.commit(consumer);
        return [...this.next.values()].sort((a, b) => a.partition - b.partition);
      } catch (err) {
        last = err;
        await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
      }
    }
    throw new ActionableError(
      `the messages were written but their offsets could not be committed (${(last as Error).message}); the group will read them again`,
      1,
      { cause: last },
    );
  }
}

/**
 * Races the next batch against the abort signal and the idle timeout. The idle clock runs only
 * while waiting for a batch, not while one is being output (a slow pipe is not idleness).
 */
class Interrupt {
  private timer: NodeJS.Timeout | undefined;
  private wake: ((why: 'stopped') => void) | null = null;

  constructor(
    private readonly signal: AbortSignal | undefined,
    private readonly idleMs: number | undefined,
  ) {
    signal?.addEventListener('abort', () => this.wake?.('stopped'), { once: true });
  }

  race<T>(p: Promise<T>): Promise<T | 'idle' | 'stopped'> {
    if (this.signal?.aborted) return Promise.resolve('stopped');
    return new Promise((resolve, reject) => {
      const wake = (why: 'idle' | 'stopped') => resolve(why);
      const timer = this.idleMs === undefined ? undefined : setTimeout(() => wake('idle'), this.idleMs);
      this.wake = wake;
      this.timer = timer;
      p.then(resolve, reject).finally(() => {
        clearTimeout(timer);
        if (this.wake === wake) this.wake = null;
      });
    });
  }

  clear(): void {
    clearTimeout(this.timer);
    this.wake = null;
  }
}
