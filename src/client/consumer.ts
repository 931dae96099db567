/**
 * The consumer: manual assignment or group subscription, a fetch loop with long polls, and
 * delivery through an async iterator of batches or run({ eachBatch | eachMessage }).
 *
 * Loop invariants:
 * - Delivery is sequential and pulled: the next batch is handed over only after the previous one
 *   was processed (the iterator resumed or the handler resolved), and only then does the
 *   partition's consumed offset (what commits store) move past it. That is the backpressure.
 * - Auto-commit (every autoCommitIntervalMs, before a rebalance, on close) only moves committed
 *   offsets forward; explicit commit() stores exactly what it is given.
 * - One fetch round is prefetched while the application processes the previous one; it is
 *   dropped (not delivered) when a rebalance or seek happened meanwhile.
 * - In a group, a rebalance is handled between batches: auto-commit of what was processed,
 *   onRevoke, JoinGroup/SyncGroup, then onAssign with the new partitions.
 * - Start positions follow positions.ts; fetch answers are applied by fetcher.ts.
 */
import type { DecodedRecord } from '../protocol/records.js';
import { ASSIGNORS, type Assignor, DEFAULT_ASSIGNORS } from './assignors.js';
import { Cluster, type ClusterOptions, sleep } from './cluster.js';
import { ClientClosedError, isRetriableError, KafkaClientError } from './errors.js';
import {
  applyRound,
  type ConsumerBatch,
  type FetchRound,
  type FetchSettings,
  fetchRound,
  type PartitionState,
} from './fetcher.js';
import { GroupMember } from './group.js';
import {
  commitOffsets,
  fetchCommitted,
  findCoordinator,
  groupByTopic,
  key,
  type OffsetSpec,
  type TopicPartition,
  type TopicPartitionOffset,
} from './offsets.js';
import { resolvePositions } from './positions.js';

export type { ConsumerBatch } from './fetcher.js';

export interface ConsumerOptions extends ClusterOptions {
  /** Needed for subscribe(), and for commits and committed offsets with assign(). */
  groupId?: string;
  /** Where to start without a committed offset, or after OFFSET_OUT_OF_RANGE (default 'latest'). */
  autoOffsetReset?: 'earliest' | 'latest' | 'none';
  /** Long-poll wait (default 500 ms) and bytes the broker waits for (default 1). */
  maxWaitMs?: number;
  minBytes?: number;
  /** Bytes per Fetch response (default 50 MiB) and per partition (default 1 MiB). */
  maxBytes?: number;
  maxPartitionBytes?: number;
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** Offered in this order (default range, roundrobin, and kafkajs's RoundRobinAssigner). */
  assignors?: readonly (keyof typeof ASSIGNORS | Assignor)[];
  /** Commit processed offsets every autoCommitIntervalMs, on rebalance and on close (default true with a group). */
  autoCommit?: boolean;
  autoCommitIntervalMs?: number;
  onAssign?: (partitions: TopicPartition[]) => void | Promise<void>;
  onRevoke?: (partitions: TopicPartition[]) => void | Promise<void>;
}

export interface AssignedPartition extends TopicPartition {
  /** Explicit start; default: committed offset (with a groupId), else autoOffsetReset. */
  offset?: OffsetSpec;
}

export interface EachMessagePayload {
  topic: string;
  partition: number;
  message: DecodedRecord;
}

export interface RunOptions {
  eachBatch?: (batch: ConsumerBatch) => void | Promise<void>;
  eachMessage?: (payload: EachMessagePayload) => void | Promise<void>;
}

export class Consumer {
  readonly cluster: Cluster;
  private readonly o: Required<
    Pick<
      ConsumerOptions,
      | 'autoOffsetReset'
      | 'maxPartitionBytes'
      | 'sessionTimeoutMs'
      | 'rebalanceTimeoutMs'
      | 'heartbeatIntervalMs'
      | 'autoCommitIntervalMs'
    >
  >;
  private readonly fetch: FetchSettings;
  private groupId: string | undefined;
  private autoCommit: boolean;
  private readonly states = new Map<string, PartitionState>();
  private readonly starts = new Map<string, OffsetSpec>();
  private group: GroupMember | null = null;
  private running = false;
  private stopping = false;
  private loopDone: Promise<void> | null = null;
  private lastAutoCommit = Date.now();
  /** A batch is with the application (yielded, not yet asked past). */
  private batchOut = false;

  constructor(private readonly opts: ConsumerOptions) {
    this.cluster = new Cluster({ ...opts, allowAutoTopicCreation: opts.allowAutoTopicCreation ?? false });
    this.groupId = opts.groupId;
    this.autoCommit = (opts.autoCommit ?? true) && opts.groupId !== undefined;
    this.o = {
      autoOffsetReset: opts.autoOffsetReset ?? 'latest',
      maxPartitionBytes: opts.maxPartitionBytes ?? 1024 * 1024,
      sessionTimeoutMs: opts.sessionTimeoutMs ?? 30_000,
      rebalanceTimeoutMs: opts.rebalanceTimeoutMs ?? 60_000,
      heartbeatIntervalMs: opts.heartbeatIntervalMs ?? 3000,
      autoCommitIntervalMs: opts.autoCommitIntervalMs ?? 5000,
    };
    this.fetch = {
      maxWaitMs: opts.maxWaitMs ?? 500,
      minBytes: opts.minBytes ?? 1,
      maxBytes: opts.maxBytes ?? 50 * 1024 * 1024,
      requestTimeoutMs: opts.requestTimeoutMs ?? 30_000,
      maxPartitionBytesLimit: Math.max(opts.maxBytes ?? 50 * 1024 * 1024, this.o.maxPartitionBytes),
    };
  }

  /** Consumes exactly these partitions (no group membership). Replaces any earlier assignment. */
  assign(partitions: readonly AssignedPartition[]): void {
    if (this.group) throw invalid('assign() on a consumer that subscribed');
    this.states.clear();
    this.starts.clear();
    for (const p of partitions) {
      this.states.set(key(p), this.newState(p.topic, p.partition));
      if (p.offset !== undefined) this.starts.set(key(p), p.offset);
    }
  }

  /** Joins `groupId` (or the one given at construction) for these topics; partitions come from the group. */
  subscribe(sub: { topics: readonly string[]; groupId?: string }): void {
    const groupId = sub.groupId ?? this.groupId;
    if (!groupId) throw invalid('subscribe() needs a groupId');
    if (this.running) throw invalid('subscribe() before run() or batches()');
    this.groupId = groupId;
    this.autoCommit = this.opts.autoCommit ?? true;
    const assignors = (this.opts.assignors ?? DEFAULT_ASSIGNORS).map((a) => {
      const found = typeof a === 'string' ? ASSIGNORS[a] : a;
      if (!found) throw invalid(`unknown assignor ${String(a)}`);
      return found;
    });
    this.group = new GroupMember(this.cluster, {
      groupId,
      topics: sub.topics,
      sessionTimeoutMs: this.o.sessionTimeoutMs,
      rebalanceTimeoutMs: this.o.rebalanceTimeoutMs,
      heartbeatIntervalMs: this.o.heartbeatIntervalMs,
      assignors,
    });
  }

  /** The partitions currently assigned. */
  assignment(): TopicPartition[] {
    return [...this.states.values()].map((s) => ({ topic: s.topic, partition: s.partition }));
  }

  /** Moves a partition's position; takes effect from the next fetch. */
  seek(topic: string, partition: number, offset: OffsetSpec): void {
    const s = this.states.get(key({ topic, partition }));
    if (!s) throw invalid(`${topic}-${partition} is not assigned`);
    s.fetchOffset = -1;
    this.starts.set(key(s), offset);
  }

  /** Per assigned partition: the last known high watermark minus the consumed position. */
  lag(): { topic: string; partition: number; lag: number }[] {
    return [...this.states.values()].map((s) => ({
      topic: s.topic,
      partition: s.partition,
      lag: s.highWatermark < 0 || s.consumedOffset < 0 ? -1 : Math.max(0, s.highWatermark - s.consumedOffset),
    }));
  }

  /** Batches in order, one at a time; the consumed position advances when the loop asks for the next. */
  batches(): AsyncGenerator<ConsumerBatch, void, undefined> {
    return this.loop(true);
  }

  /**
   * The fetch loop. A yielded batch counts as processed when the loop is asked for the next one;
   * when the caller leaves instead (break, return, throw), it counts only if
   * `leavingCountsAsProcessed` (the iterator: `break` after handling a batch is the common way
   * out), not for run(), whose handler failing must leave the batch to be delivered again.
   */
  private async *loop(leavingCountsAsProcessed: boolean): AsyncGenerator<ConsumerBatch, void, undefined> {
    if (this.running) throw invalid('the consumer is already running');
    if (this.stopping) throw new ClientClosedError('consumer');
    this.running = true;
    let release!: () => void;
    this.loopDone = new Promise((r) => {
      release = r;
    });
    let prefetch: Promise<FetchRound> | null = null;
    let current: PartitionState | null = null;
    let currentNext = -1;
    try {
      await this.cluster.connect();
      while (!this.stopping) {
        if (this.group?.rejoinNeeded) {
          prefetch?.catch(() => {});
          prefetch = null;
          await this.rebalance();
          continue;
        }
        await resolvePositions([...this.states.values()], {
          cluster: this.cluster,
          starts: this.starts,
          committed: this.groupId ? (tps) => this.committed(tps) : null,
          reset: this.o.autoOffsetReset,
        });
        if (this.states.size === 0) {
          await sleep(Math.min(this.fetch.maxWaitMs, 100));
          continue;
        }
        const round: FetchRound = await (prefetch ??
          fetchRound(this.cluster, this.states.values(), this.fetch));
        prefetch = null;
        if (this.stopping) break;
        const ready = applyRound(round, this.states, this.cluster, this.fetch);
        if (round.errors.length > 0 || round.leaderless.length > 0) await this.recover(round);
        else if (!this.group?.rejoinNeeded)
          prefetch = fetchRound(this.cluster, this.states.values(), this.fetch);
        for (const batch of ready) {
          const s = this.states.get(key(batch));
          if (!s || this.stopping || this.group?.rejoinNeeded) break;
          current = s;
          currentNext = batch.nextOffset;
          this.batchOut = true;
          yield batch;
          this.batchOut = false;
          current = null;
          s.consumedOffset = batch.nextOffset;
          await this.maybeAutoCommit();
        }
      }
    } finally {
      this.batchOut = false;
      if (current && leavingCountsAsProcessed && this.states.get(key(current)) === current) {
        current.consumedOffset = currentNext;
      }
      prefetch?.catch(() => {});
      this.running = false;
      release();
    }
  }

  /** Runs the loop with a handler until close(); rejects if the handler or the loop fails. */
  async run(handlers: RunOptions): Promise<void> {
    const { eachBatch, eachMessage } = handlers;
    if (!eachBatch && !eachMessage) throw invalid('run() needs eachBatch or eachMessage');
    for await (const batch of this.loop(false)) {
      if (eachBatch) await eachBatch(batch);
      else {
        for (const message of batch.records) {
          await eachMessage!({ topic: batch.topic, partition: batch.partition, message });
        }
      }
    }
  }

  /**
   * Commits the given offsets, or every processed position that differs from the last commit.
   * Explicit offsets of assigned partitions also become their "last committed", so auto-commit
   * (which only moves commits forward) does not undo them.
   */
  async commit(offsets?: readonly TopicPartitionOffset[]): Promise<void> {
    const list = offsets ?? this.positions((s) => s.consumedOffset !== s.committedOffset);
    if (list.length === 0) return;
    if (this.group) await this.group.commit(list);
    else if (this.groupId)
      await commitOffsets(await findCoordinator(this.cluster, this.groupId), this.groupId, -1, '', list);
    else throw invalid('commit() needs a groupId');
    for (const o of list) {
      const s = this.states.get(key(o));
      if (s) s.committedOffset = o.offset;
    }
  }

  private positions(which: (s: PartitionState) => boolean): TopicPartitionOffset[] {
    return [...this.states.values()]
      .filter((s) => s.consumedOffset >= 0 && which(s))
      .map((s) => ({ topic: s.topic, partition: s.partition, offset: s.consumedOffset }));
  }

  /** Auto-commit: processed positions past the last commit (never backwards). */
  private autoCommitNow(): Promise<void> {
    return this.commit(this.positions((s) => s.consumedOffset > s.committedOffset)).catch(() => {});
  }

  /** Committed offsets of this consumer's group for the given partitions (-1 where none). */
  async committed(partitions: readonly TopicPartition[]): Promise<TopicPartitionOffset[]> {
    if (this.group) return this.group.fetchCommitted(partitions);
    if (!this.groupId) throw invalid('committed() needs a groupId');
    return fetchCommitted(
      await findCoordinator(this.cluster, this.groupId),
      this.groupId,
      groupByTopic(partitions),
    );
  }

  /** Stops the loop, commits what was processed (auto-commit), leaves the group, closes connections. */
  async close(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    // Called from inside a handler (or the iterator's body), the loop cannot finish before this
    // returns: do not wait for it. The batch being handled is then not counted as processed.
    if (!this.batchOut) await this.loopDone;
    if (this.autoCommit) await this.autoCommitNow();
    await this.group?.leave();
    await this.cluster.close();
  }

  private newState(topic: string, partition: number): PartitionState {
    return {
      topic,
      partition,
      fetchOffset: -1,
      consumedOffset: -1,
      committedOffset: -1,
      reset: false,
      maxBytes: this.o.maxPartitionBytes,
      highWatermark: -1,
    };
  }

  private async rebalance(): Promise<void> {
    const group = this.group!;
    const old = this.assignment();
    if (old.length > 0) {
      if (this.autoCommit) await this.autoCommitNow();
      await this.opts.onRevoke?.(old);
    }
    this.states.clear();
    const assigned = await group.join();
    for (const tp of assigned) this.states.set(key(tp), this.newState(tp.topic, tp.partition));
    await this.opts.onAssign?.(assigned);
  }

  /** After failed requests or missing leaders: refresh metadata and back off a little. */
  private async recover(round: FetchRound): Promise<void> {
    for (const err of round.errors) if (!isRetriableError(err)) throw err;
    await this.cluster.refreshMetadata([...new Set(round.leaderless)]).catch(() => {});
    await sleep(100);
  }

  private async maybeAutoCommit(): Promise<void> {
    if (!this.autoCommit || Date.now() - this.lastAutoCommit < this.o.autoCommitIntervalMs) return;
    this.lastAutoCommit = Date.now();
    await this.autoCommitNow();
  }
}

function invalid(message: string): KafkaClientError {
  return new KafkaClientError('INVALID_ARGUMENT', message, false);
}
