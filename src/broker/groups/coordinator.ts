/**
 * GroupCoordinator: every consumer group of this (single-node) broker and their committed
 * offsets. Membership rules are in membership.ts, durability in offset-store.ts; this file owns
 * the group table, the OffsetCommit validation against group membership, and the read-only
 * views (OffsetFetch, DescribeGroups, ListGroups).
 *
 * Group lifetime: a group object exists while it has members, pending members, or a rebalance in
 * progress. An Empty group without committed offsets is dropped (state Dead); a group that only
 * has committed offsets is shown as Empty. Membership is not persisted: after a restart every
 * member rejoins (its old member id is answered UNKNOWN_MEMBER_ID), offsets are kept.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Logger } from '../../log.js';
import { ErrorCode } from '../../protocol/errors.js';
import { ConsumerGroup } from './group.js';
import { defaultMembershipConfig, GroupMembership, type MembershipConfig } from './membership.js';
import { MAX_GROUP_ID_BYTES } from './offset-log.js';
import {
  type OffsetFlushPolicy,
  OffsetStore,
  OffsetStoreClosedError,
  type OffsetStoreOptions,
} from './offset-store.js';
import {
  type CommitRequest,
  type FetchedOffset,
  type GroupDescription,
  type GroupListing,
  type JoinRequest,
  type JoinResult,
  joinError,
  type MemberRef,
  type SyncRequest,
  type SyncResult,
  syncError,
} from './requests.js';
import { realScheduler, type Scheduler } from './scheduler.js';

export const GROUPS_DIR = 'groups';

export interface GroupCoordinatorOptions extends Partial<MembershipConfig> {
  scheduler?: Scheduler;
  offsets?: OffsetStoreOptions;
}

export class GroupCoordinator {
  private readonly groups = new Map<string, ConsumerGroup>();
  private readonly membership: GroupMembership;
  readonly offsets: OffsetStore;
  private closed = false;

  constructor(dataDir: string, flush: OffsetFlushPolicy, log: Logger, opts: GroupCoordinatorOptions = {}) {
    const { scheduler, offsets, ...membership } = opts;
    const config: MembershipConfig = { ...defaultMembershipConfig, ...membership };
    this.offsets = new OffsetStore(path.join(dataDir, GROUPS_DIR), flush, log, offsets);
    this.membership = new GroupMembership(config, scheduler ?? realScheduler, log, {
      newMemberId: (clientId, instanceId) => `${instanceId ?? clientId}-${randomUUID()}`,
      onEmpty: (group) => this.dropIfUnused(group),
    });
  }

  /** Loads the committed offsets. */
  open(): Promise<void> {
    return this.offsets.open();
  }

  /**
   * Answers every parked JoinGroup/SyncGroup with NOT_COORDINATOR (so a broker stop is not held
   * up by rebalance timeouts), stops all timers, then flushes and closes the offsets log.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const group of this.groups.values()) this.membership.shutdown(group, ErrorCode.NOT_COORDINATOR);
    await this.offsets.close();
  }

  join(req: JoinRequest): Promise<JoinResult> | JoinResult {
    if (this.closed) return joinError(ErrorCode.NOT_COORDINATOR, req.memberId);
    if (!isValidGroupId(req.groupId)) return joinError(ErrorCode.INVALID_GROUP_ID, req.memberId);
    let group = this.groups.get(req.groupId);
    if (!group) {
      // A member id from before (e.g. before a restart) names nobody in a group that does not exist.
      if (req.memberId !== '') return joinError(ErrorCode.UNKNOWN_MEMBER_ID, req.memberId);
      group = new ConsumerGroup(req.groupId);
      this.groups.set(req.groupId, group);
    }
    const result = this.membership.join(group, req);
    if (!(result instanceof Promise)) this.dropIfUnused(group);
    return result;
  }

  sync(req: SyncRequest): Promise<SyncResult> | SyncResult {
    if (this.closed) return syncError(ErrorCode.NOT_COORDINATOR);
    const group = this.groups.get(req.groupId);
    if (!group) return syncError(ErrorCode.UNKNOWN_MEMBER_ID);
    return this.membership.sync(group, req);
  }

  heartbeat(req: MemberRef): number {
    if (this.closed) return ErrorCode.NOT_COORDINATOR;
    const group = this.groups.get(req.groupId);
    if (!group) return ErrorCode.UNKNOWN_MEMBER_ID;
    return this.membership.heartbeat(group, req);
  }

  /** LeaveGroup: one error code per member (the request-level code is NONE unless closed). */
  leave(groupId: string, members: { memberId: string; groupInstanceId: string | null }[]): number[] {
    if (this.closed) return members.map(() => ErrorCode.NOT_COORDINATOR);
    const group = this.groups.get(groupId);
    if (!group) return members.map(() => ErrorCode.UNKNOWN_MEMBER_ID);
    return members.map((m) => this.membership.leave(group, m.memberId, m.groupInstanceId));
  }

  /**
   * OffsetCommit of partitions already checked to exist and to carry acceptable metadata.
   * Resolves with one error code for all of them, once they are durable per the flush policy.
   */
  async commit(req: CommitRequest, now = Date.now()): Promise<number> {
    const error = this.validateCommit(req);
    if (error !== ErrorCode.NONE) return error;
    const records = req.offsets.map((o) => ({ group: req.groupId, commitTimestamp: now, ...o }));
    try {
      await this.offsets.commit(records);
      return ErrorCode.NONE;
    } catch (err) {
      // Kafka answers a failed offsets-log append with a coordinator error: retriable, and the
      // client looks the coordinator up again.
      return err instanceof OffsetStoreClosedError
        ? ErrorCode.NOT_COORDINATOR
        : ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
  }

  private validateCommit(req: CommitRequest): number {
    if (this.closed) return ErrorCode.NOT_COORDINATOR;
    if (!isValidGroupId(req.groupId)) return ErrorCode.INVALID_GROUP_ID;
    const group = this.groups.get(req.groupId);
    // No group: only a standalone consumer (generation -1) may commit; otherwise it is a member
    // of a generation that no longer exists.
    if (!group) return req.generationId < 0 ? ErrorCode.NONE : ErrorCode.ILLEGAL_GENERATION;
    if (group.isStaticMemberFenced(req.memberId, req.groupInstanceId)) return ErrorCode.FENCED_INSTANCE_ID;
    if (req.generationId < 0 && group.state === 'Empty') return ErrorCode.NONE;
    // The member has its JoinGroup answer but not yet its assignment: retry after SyncGroup.
    if (group.state === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
    const member = group.members.get(req.memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (req.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    this.membership.touch(group, member);
    return ErrorCode.NONE;
  }

  /**
   * A topic was deleted: its committed offsets go too (as in Kafka), so a topic created again
   * under the name does not start from stale positions. Groups left with nothing are dropped.
   */
  async deleteTopic(topic: string): Promise<void> {
    if (this.closed) return;
    await this.offsets.deleteTopic(topic);
    for (const group of [...this.groups.values()]) this.dropIfUnused(group);
  }

  /** OffsetFetch for one group; topics null = every partition the group committed. */
  fetchOffsets(
    groupId: string,
    topics: { topic: string; partitions: number[] }[] | null,
  ): { errorCode: number; topics: { topic: string; partitions: FetchedOffset[] }[] } {
    if (this.closed) return { errorCode: ErrorCode.NOT_COORDINATOR, topics: [] };
    const committed = this.offsets.groupOffsets(groupId);
    if (topics === null) {
      const all = [...(committed ?? new Map())].map(([topic, parts]) => ({
        topic,
        partitions: [...parts].map(([partition, c]) => ({
          partition,
          offset: c.offset,
          leaderEpoch: c.leaderEpoch,
          metadata: c.metadata ?? '',
        })),
      }));
      return { errorCode: ErrorCode.NONE, topics: all };
    }
    return {
      errorCode: ErrorCode.NONE,
      topics: topics.map(({ topic, partitions }) => ({
        topic,
        partitions: partitions.map((partition) => {
          const c = committed?.get(topic)?.get(partition);
          return c
            ? { partition, offset: c.offset, leaderEpoch: c.leaderEpoch, metadata: c.metadata ?? '' }
            : { partition, offset: -1, leaderEpoch: -1, metadata: '' };
        }),
      })),
    };
  }

  /** DescribeGroups for one group; an unknown group is described as Dead (no error), as Kafka does. */
  describe(groupId: string): GroupDescription {
    const group = this.groups.get(groupId);
    if (!group) {
      const state = this.offsets.hasOffsets(groupId) ? 'Empty' : 'Dead';
      return { groupId, state, protocolType: '', protocolName: '', members: [] };
    }
    const stable = group.state === 'Stable';
    const protocol = stable ? (group.protocolName ?? '') : '';
    return {
      groupId,
      state: group.state,
      protocolType: group.protocolType ?? '',
      protocolName: protocol,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: stable ? m.metadataFor(protocol) : Buffer.alloc(0),
        assignment: stable ? m.assignment : Buffer.alloc(0),
      })),
    };
  }

  /** ListGroups: live groups and groups that only have committed offsets; states match case-insensitively. */
  list(statesFilter: string[] = []): GroupListing[] {
    const wanted = new Set(statesFilter.map((s) => s.toLowerCase()));
    const out: GroupListing[] = [];
    for (const g of this.groups.values()) {
      out.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', state: g.state });
    }
    for (const groupId of this.offsets.groupIds()) {
      if (!this.groups.has(groupId)) out.push({ groupId, protocolType: '', state: 'Empty' });
    }
    return wanted.size === 0 ? out : out.filter((g) => wanted.has(g.state.toLowerCase()));
  }

  private dropIfUnused(group: ConsumerGroup): void {
    if (group.state !== 'Empty' || group.members.size > 0 || group.pendingMembers.size > 0) return;
    if (this.offsets.hasOffsets(group.groupId)) return;
    group.cancelRebalanceTimer();
    group.transition('Dead');
    if (this.groups.get(group.groupId) === group) this.groups.delete(group.groupId);
  }
}

/**
 * Non-empty, and short enough for the offsets log: a longer id (only a flexible request's
 * compact string can carry one) would fail every commit with a retriable error the client
 * repeats forever.
 */
function isValidGroupId(groupId: string): boolean {
  return groupId !== '' && Buffer.byteLength(groupId) <= MAX_GROUP_ID_BYTES;
}
