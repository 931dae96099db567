/**
 * Consumer-group membership: coordinator, JoinGroup / SyncGroup, heartbeats, commits, leave.
 *
 * Protocol (classic, eager rebalancing):
 * 1. JoinGroup with an empty member id is answered MEMBER_ID_REQUIRED and the id to use; join
 *    again with it. The coordinator answers every member once all have (re)joined; one of them
 *    is the leader and receives every member's subscription.
 * 2. The leader runs the assignor the coordinator chose (a protocol every member listed) and
 *    sends the assignments in SyncGroup; the others send none. Everyone gets its own share.
 * 3. Heartbeats every heartbeatIntervalMs keep the session; REBALANCE_IN_PROGRESS,
 *    ILLEGAL_GENERATION and UNKNOWN_MEMBER_ID (id forgotten too) mean "join again". The consumer
 *    checks `rejoinNeeded` between fetches and rejoins, revoking its partitions first.
 * Subscriptions and assignments use the embedded "consumer" protocol (consumer-protocol.ts), v0,
 * which kafkajs, librdkafka and Java members all read, so groups can mix clients.
 */

import { decodeHeartbeatResponse, encodeHeartbeatRequest, HeartbeatApi } from '../protocol/apis/heartbeat.js';
import {
  decodeJoinGroupResponse,
  encodeJoinGroupRequest,
  JoinGroupApi,
  type JoinGroupResponse,
} from '../protocol/apis/join-group.js';
import {
  decodeLeaveGroupResponse,
  encodeLeaveGroupRequest,
  LeaveGroupApi,
} from '../protocol/apis/leave-group.js';
import {
  decodeSyncGroupResponse,
  encodeSyncGroupRequest,
  SyncGroupApi,
} from '../protocol/apis/sync-group.js';
import {
  type ConsumerSubscription,
  decodeConsumerAssignment,
  decodeConsumerSubscription,
  encodeConsumerAssignment,
  encodeConsumerSubscription,
} from '../protocol/consumer-protocol.js';
import { ErrorCode, isRetriable } from '../protocol/errors.js';
import type { Assignor } from './assignors.js';
import { type Cluster, sleep } from './cluster.js';
import type { Connection } from './connection.js';
import { BrokerError, ClientClosedError, isRetriableError, KafkaClientError } from './errors.js';
import {
  type CommittedOffset,
  commitOffsets,
  fetchCommitted,
  findCoordinator,
  groupByTopic,
  type TopicPartition,
  type TopicPartitionOffset,
} from './offsets.js';

export interface GroupOptions {
  groupId: string;
  topics: readonly string[];
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** In preference order; their names are the protocols offered in JoinGroup. */
  assignors: readonly Assignor[];
}

/** Errors after which the member must join again (the generation it holds is over). */
const REJOIN = new Set<number>([
  ErrorCode.REBALANCE_IN_PROGRESS,
  ErrorCode.ILLEGAL_GENERATION,
  ErrorCode.UNKNOWN_MEMBER_ID,
]);
const COORDINATOR_MOVED = new Set<number>([
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
]);

export class GroupMember {
  memberId = '';
  generationId = -1;
  leaderId = '';
  protocolName = '';
  assignment: TopicPartition[] = [];
  /** Set when the current generation is over; the consumer rejoins before fetching again. */
  rejoinNeeded = true;
  private conn: Connection | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly cluster: Cluster,
    readonly opts: GroupOptions,
  ) {}

  get groupId(): string {
    return this.opts.groupId;
  }

  get isLeader(): boolean {
    return this.memberId !== '' && this.memberId === this.leaderId;
  }

  async coordinator(): Promise<Connection> {
    if (this.conn && !this.conn.closed) return this.conn;
    this.conn = await findCoordinator(this.cluster, this.opts.groupId);
    return this.conn;
  }

  /** Joins (or rejoins) and returns this member's assignment for the new generation. */
  async join(): Promise<TopicPartition[]> {
    this.stopHeartbeats();
    let backoff = 100;
    for (let attempt = 0; ; attempt++) {
      if (this.closed) throw new ClientClosedError('consumer');
      try {
        const code = await this.joinOnce();
        if (code === ErrorCode.NONE) break;
        if (code === ErrorCode.MEMBER_ID_REQUIRED || REJOIN.has(code)) continue;
        if (COORDINATOR_MOVED.has(code)) this.conn = null;
        else if (!isRetriable(code)) throw new BrokerError(code, `joining group ${this.opts.groupId}`);
      } catch (err) {
        if (!isRetriableError(err) || attempt >= 30) throw err;
        this.conn = null;
      }
      await sleep(backoff);
      backoff = Math.min(backoff * 2, 2000);
    }
    this.rejoinNeeded = false;
    this.scheduleHeartbeat();
    return this.assignment;
  }

  /** One JoinGroup + SyncGroup round; NONE when this member has its assignment. */
  private async joinOnce(): Promise<number> {
    const conn = await this.coordinator();
    const subscription: ConsumerSubscription = {
      version: 0,
      topics: [...this.opts.topics],
      userData: null,
      ownedPartitions: [],
    };
    const metadata = encodeConsumerSubscription(subscription);
    const join = await conn.request(
      JoinGroupApi,
      (w, v) =>
        encodeJoinGroupRequest(w, v, {
          groupId: this.opts.groupId,
          sessionTimeoutMs: this.opts.sessionTimeoutMs,
          rebalanceTimeoutMs: this.opts.rebalanceTimeoutMs,
          memberId: this.memberId,
          groupInstanceId: null,
          protocolType: 'consumer',
          protocols: this.opts.assignors.map((a) => ({ name: a.name, metadata })),
        }),
      decodeJoinGroupResponse,
      this.opts.rebalanceTimeoutMs + 5000,
    );
    if (join.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
      this.memberId = join.memberId;
      return join.errorCode;
    }
    if (join.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = '';
    if (join.errorCode !== ErrorCode.NONE) return join.errorCode;
    this.memberId = join.memberId;
    this.generationId = join.generationId;
    this.leaderId = join.leader;
    this.protocolName = join.protocolName;
    const assignments = this.isLeader ? await this.assign(join) : [];
    const sync = await conn.request(
      SyncGroupApi,
      (w, v) =>
        encodeSyncGroupRequest(w, v, {
          groupId: this.opts.groupId,
          generationId: this.generationId,
          memberId: this.memberId,
          groupInstanceId: null,
          assignments,
        }),
      decodeSyncGroupResponse,
      this.opts.rebalanceTimeoutMs + 5000,
    );
    if (sync.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = '';
    if (sync.errorCode !== ErrorCode.NONE) return sync.errorCode;
    const mine = decodeConsumerAssignment(sync.assignment);
    this.assignment = mine.assignedPartitions.flatMap((t) =>
      t.partitions.map((partition) => ({ topic: t.topic, partition })),
    );
    return ErrorCode.NONE;
  }

  /** The leader's part: run the chosen assignor over every member's subscription. */
  private async assign(join: JoinGroupResponse): Promise<{ memberId: string; assignment: Buffer }[]> {
    const assignor = this.opts.assignors.find((a) => a.name === join.protocolName);
    if (!assignor) {
      throw new KafkaClientError(
        'UNSUPPORTED',
        `group chose assignor "${join.protocolName}", which mq lacks`,
        false,
      );
    }
    const members = join.members.map((m) => {
      let topics: string[] = [];
      try {
        topics = decodeConsumerSubscription(m.metadata).topics;
      } catch {
        // A member whose subscription cannot be read gets nothing rather than breaking the group.
      }
      return { memberId: m.memberId, topics };
    });
    const topics = [...new Set(members.flatMap((m) => m.topics))];
    await this.cluster.refreshMetadata(topics);
    const counts = new Map<string, number>();
    for (const t of topics) {
      const meta = this.cluster.topic(t);
      if (meta && meta.errorCode === ErrorCode.NONE && meta.partitions.length > 0)
        counts.set(t, meta.partitions.length);
    }
    const result = assignor.assign(members, counts);
    return [...result].map(([memberId, assignedPartitions]) => ({
      memberId,
      assignment: encodeConsumerAssignment({ version: 0, assignedPartitions, userData: null }),
    }));
  }

  private scheduleHeartbeat(): void {
    if (this.closed) return;
    const generation = this.generationId;
    this.heartbeatTimer = setTimeout(() => {
      this.heartbeatTimer = null;
      this.heartbeat(generation).finally(() => {
        if (!this.rejoinNeeded && this.generationId === generation && this.heartbeatTimer === null)
          this.scheduleHeartbeat();
      });
    }, this.opts.heartbeatIntervalMs);
  }

  private async heartbeat(generation: number): Promise<void> {
    if (this.closed || this.rejoinNeeded) return;
    try {
      const conn = await this.coordinator();
      const res = await conn.request(
        HeartbeatApi,
        (w, v) =>
          encodeHeartbeatRequest(w, v, {
            groupId: this.opts.groupId,
            generationId: generation,
            memberId: this.memberId,
            groupInstanceId: null,
          }),
        decodeHeartbeatResponse,
      );
      if (generation !== this.generationId) return;
      if (res.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = '';
      if (REJOIN.has(res.errorCode)) this.rejoinNeeded = true;
      else if (COORDINATOR_MOVED.has(res.errorCode)) this.conn = null;
    } catch {
      // The session timeout decides whether a lost heartbeat matters; find the coordinator again.
      this.conn = null;
    }
  }

  private stopHeartbeats(): void {
    if (this.heartbeatTimer) clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  /** Commits offsets for this generation; a REJOIN error also marks the member for rejoining. */
  async commit(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    const conn = await this.coordinator();
    try {
      await commitOffsets(conn, this.opts.groupId, this.generationId, this.memberId, offsets);
    } catch (err) {
      if (err instanceof BrokerError && REJOIN.has(err.errorCode)) this.rejoinNeeded = true;
      if (err instanceof BrokerError && COORDINATOR_MOVED.has(err.errorCode)) this.conn = null;
      throw err;
    }
  }

  async fetchCommitted(tps: readonly TopicPartition[]): Promise<CommittedOffset[]> {
    if (tps.length === 0) return [];
    return fetchCommitted(await this.coordinator(), this.opts.groupId, groupByTopic(tps));
  }

  /** Leaves the group (best effort) so the others rebalance at once instead of after the session timeout. */
  async leave(): Promise<void> {
    this.closed = true;
    this.stopHeartbeats();
    if (this.memberId === '' || !this.conn || this.conn.closed) return;
    const memberId = this.memberId;
    await this.conn
      .request(
        LeaveGroupApi,
        (w, v) =>
          encodeLeaveGroupRequest(w, v, {
            groupId: this.opts.groupId,
            memberId,
            members: [{ memberId, groupInstanceId: null }],
          }),
        decodeLeaveGroupResponse,
        5000,
      )
      .catch(() => {});
    this.memberId = '';
    this.generationId = -1;
  }
}
