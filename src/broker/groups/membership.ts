/**
 * The classic group membership protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup and the
 * session and rebalance timeouts), after kafka.coordinator.group.GroupCoordinator.
 *
 * A rebalance: the group enters PreparingRebalance and every member must send JoinGroup again
 * (they learn it from REBALANCE_IN_PROGRESS on Heartbeat/SyncGroup). The joins are parked until
 * every known member has rejoined, or the largest rebalance timeout among the members expires;
 * members that did not rejoin are then removed. Completing the join starts a new generation with
 * a protocol every member supports; the leader receives the members' metadata, computes the
 * assignment and sends it in its SyncGroup, which moves the group to Stable and answers every
 * parked SyncGroup.
 *
 * Invariants:
 * - A member with a parked JoinGroup or SyncGroup has no session timer (it is waiting on us);
 *   every other member has one, re-armed by each JoinGroup, SyncGroup and Heartbeat.
 * - Parked requests are always answered: on completion, on removal of the member, on a new
 *   rebalance (SyncGroup gets REBALANCE_IN_PROGRESS) or when the coordinator closes.
 */
import type { Logger } from '../../log.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { ConsumerGroup } from './group.js';
import { EMPTY, GroupMember } from './member.js';
import {
  type JoinRequest,
  type JoinResult,
  joinError,
  type MemberRef,
  type SyncRequest,
  type SyncResult,
  syncError,
} from './requests.js';
import type { Scheduler } from './scheduler.js';

export interface MembershipConfig {
  /** Bounds for a member's session timeout (Kafka's group.min/max.session.timeout.ms). */
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  /** How long the first rebalance of an empty group waits for more members (0 = none). */
  initialRebalanceDelayMs: number;
}

export const defaultMembershipConfig: MembershipConfig = {
  minSessionTimeoutMs: 6_000,
  maxSessionTimeoutMs: 300_000,
  initialRebalanceDelayMs: 0,
};

export interface MembershipHooks {
  newMemberId(clientId: string, groupInstanceId: string | null): string;
  /** The group has no members and nobody pending: the coordinator may drop it. */
  onEmpty(group: ConsumerGroup): void;
}

export class GroupMembership {
  constructor(
    private readonly config: MembershipConfig,
    private readonly clock: Scheduler,
    private readonly log: Logger,
    private readonly hooks: MembershipHooks,
  ) {}

  join(group: ConsumerGroup, req: JoinRequest): Promise<JoinResult> | JoinResult {
    const { minSessionTimeoutMs: min, maxSessionTimeoutMs: max } = this.config;
    if (req.sessionTimeoutMs < min || req.sessionTimeoutMs > max)
      return joinError(ErrorCode.INVALID_SESSION_TIMEOUT);
    if (group.state === 'Dead') return joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, req.memberId);
    // The member being updated (or replaced, for a static member) does not vote on what it may join with.
    const known =
      req.memberId !== ''
        ? req.memberId
        : req.groupInstanceId !== null
          ? group.staticMembers.get(req.groupInstanceId)
          : undefined;
    if (!group.supportsProtocols(req.protocolType, req.protocols, known)) {
      return joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, req.memberId);
    }
    return req.memberId === '' ? this.joinUnknownMember(group, req) : this.joinKnownMember(group, req);
  }

  private joinUnknownMember(group: ConsumerGroup, req: JoinRequest): Promise<JoinResult> | JoinResult {
    const memberId = this.hooks.newMemberId(req.clientId, req.groupInstanceId);
    if (req.groupInstanceId !== null) {
      // Static members skip MEMBER_ID_REQUIRED: their instance id already identifies them.
      const oldId = group.staticMembers.get(req.groupInstanceId);
      if (oldId !== undefined)
        return this.replaceStaticMember(group, group.members.get(oldId)!, memberId, req);
      return this.addMemberAndRebalance(group, memberId, req);
    }
    if (req.requireKnownMemberId) {
      const expiry = this.clock.after(req.sessionTimeoutMs, () => this.expirePendingMember(group, memberId));
      group.pendingMembers.set(memberId, expiry);
      return joinError(ErrorCode.MEMBER_ID_REQUIRED, memberId);
    }
    return this.addMemberAndRebalance(group, memberId, req);
  }

  private joinKnownMember(group: ConsumerGroup, req: JoinRequest): Promise<JoinResult> | JoinResult {
    const pending = group.pendingMembers.get(req.memberId);
    if (pending) {
      pending.cancel();
      group.pendingMembers.delete(req.memberId);
      return this.addMemberAndRebalance(group, req.memberId, req);
    }
    if (group.isStaticMemberFenced(req.memberId, req.groupInstanceId)) {
      return joinError(ErrorCode.FENCED_INSTANCE_ID, req.memberId);
    }
    const member = group.members.get(req.memberId);
    if (!member) return joinError(ErrorCode.UNKNOWN_MEMBER_ID, req.memberId);
    switch (group.state) {
      case 'PreparingRebalance':
        return this.updateMemberAndRebalance(group, member, req);
      case 'CompletingRebalance':
        // The member missed its JoinGroup answer: the same answer again, unless it changed.
        if (member.sameProtocols(req.protocols)) return this.answerJoinNow(group, member);
        return this.updateMemberAndRebalance(group, member, req);
      case 'Stable':
        // A rejoining leader or changed metadata (e.g. a new subscription) forces a rebalance.
        if (group.isLeader(member.memberId) || !member.sameProtocols(req.protocols)) {
          return this.updateMemberAndRebalance(group, member, req);
        }
        return this.answerJoinNow(group, member);
      default:
        return joinError(ErrorCode.UNKNOWN_MEMBER_ID, req.memberId);
    }
  }

  private addMemberAndRebalance(
    group: ConsumerGroup,
    memberId: string,
    req: JoinRequest,
  ): Promise<JoinResult> {
    const member = new GroupMember(
      memberId,
      req.groupInstanceId,
      req.clientId,
      req.clientHost,
      req.sessionTimeoutMs,
      req.rebalanceTimeoutMs,
      req.protocols,
    );
    group.add(member, req.protocolType);
    const parked = this.parkJoin(member);
    this.maybePrepareRebalance(group, `member ${memberId} joined`);
    this.tryCompleteJoin(group);
    return parked;
  }

  private updateMemberAndRebalance(
    group: ConsumerGroup,
    member: GroupMember,
    req: JoinRequest,
  ): Promise<JoinResult> {
    member.protocols = req.protocols;
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    const parked = this.parkJoin(member);
    this.maybePrepareRebalance(group, `member ${member.memberId} rejoined`);
    this.tryCompleteJoin(group);
    return parked;
  }

  /**
   * A static member came back with a new process (empty member id, same group.instance.id): it
   * takes over the old member's place. In a Stable group whose protocol choice does not change
   * this is not a rebalance: the member keeps the old assignment (it learns it by SyncGroup).
   */
  private replaceStaticMember(
    group: ConsumerGroup,
    member: GroupMember,
    newMemberId: string,
    req: JoinRequest,
  ): Promise<JoinResult> | JoinResult {
    const oldId = member.memberId;
    const oldLeader = group.leaderId ?? '';
    member.answerJoin(joinError(ErrorCode.FENCED_INSTANCE_ID, oldId));
    member.answerSync(syncError(ErrorCode.FENCED_INSTANCE_ID));
    group.replaceStaticMember(member, newMemberId);
    this.log.info(
      { group: group.groupId, oldId, newMemberId, instance: req.groupInstanceId },
      'static member replaced',
    );
    member.protocols = req.protocols;
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    if (group.state === 'Stable' && group.nextProtocol() === group.protocolName) {
      this.armSession(group, member);
      // The old leader id is returned on purpose (as Kafka does): the new instance must not
      // believe it leads and compute an assignment that a Stable group would never distribute.
      return {
        errorCode: ErrorCode.NONE,
        generationId: group.generationId,
        protocolType: group.protocolType,
        protocolName: group.protocolName,
        leader: oldLeader,
        memberId: newMemberId,
        members: [],
      };
    }
    const parked = this.parkJoin(member);
    if (group.state === 'CompletingRebalance' || group.state === 'Stable') {
      // The leader may already be assigning to the old member id: start over.
      this.prepareRebalance(group, `static member ${req.groupInstanceId} rejoined`);
    }
    this.tryCompleteJoin(group);
    return parked;
  }

  private answerJoinNow(group: ConsumerGroup, member: GroupMember): JoinResult {
    this.armSession(group, member);
    return group.joinResultFor(member);
  }

  private parkJoin(member: GroupMember): Promise<JoinResult> {
    // A second JoinGroup from the same member replaces the first (its client gave up on it).
    member.answerJoin(joinError(ErrorCode.REBALANCE_IN_PROGRESS, member.memberId));
    member.stopSessionTimer();
    return new Promise((resolve) => {
      member.pendingJoin = resolve;
    });
  }

  private maybePrepareRebalance(group: ConsumerGroup, reason: string): void {
    if (group.state === 'Stable' || group.state === 'CompletingRebalance' || group.state === 'Empty') {
      this.prepareRebalance(group, reason);
    }
  }

  private prepareRebalance(group: ConsumerGroup, reason: string): void {
    if (group.state === 'CompletingRebalance') {
      // Assignments of the generation being completed are void; followers waiting for them retry.
      for (const m of group.members.values()) {
        m.assignment = EMPTY;
        if (m.awaitingSync) this.answerSync(group, m, syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      }
    }
    const initial = group.state === 'Empty' && this.config.initialRebalanceDelayMs > 0;
    const delay = initial ? this.config.initialRebalanceDelayMs : group.maxRebalanceTimeoutMs();
    group.transition('PreparingRebalance');
    group.cancelRebalanceTimer();
    group.initialDelayRunning = initial;
    group.rebalanceTimer = this.clock.after(delay, () => this.completeJoin(group));
    this.log.info({ group: group.groupId, generation: group.generationId, reason }, 'preparing to rebalance');
    // Nobody left to wait for (the last member left): the join completes at once, into Empty.
    this.tryCompleteJoin(group);
  }

  private tryCompleteJoin(group: ConsumerGroup): void {
    if (group.state === 'PreparingRebalance' && !group.initialDelayRunning && group.allMembersJoined()) {
      this.completeJoin(group);
    }
  }

  /** Ends the join phase: drops members that did not rejoin, starts the next generation. */
  private completeJoin(group: ConsumerGroup): void {
    if (group.state !== 'PreparingRebalance') return;
    group.cancelRebalanceTimer();
    for (const m of [...group.members.values()]) {
      if (m.awaitingJoin) continue;
      this.log.info({ group: group.groupId, member: m.memberId }, 'member did not rejoin in time; removed');
      this.dropMember(group, m);
    }
    group.generationId += 1;
    if (group.members.size === 0) {
      group.protocolName = null;
      group.transition('Empty');
      this.log.info({ group: group.groupId, generation: group.generationId }, 'group is empty');
      if (group.pendingMembers.size === 0) this.hooks.onEmpty(group);
      return;
    }
    group.protocolName = group.selectProtocol();
    group.transition('CompletingRebalance');
    this.log.info(
      {
        group: group.groupId,
        generation: group.generationId,
        protocol: group.protocolName,
        members: group.members.size,
      },
      'rebalance joined; waiting for the leader to assign',
    );
    for (const m of group.members.values()) {
      m.answerJoin(group.joinResultFor(m));
      this.armSession(group, m);
    }
  }

  sync(group: ConsumerGroup, req: SyncRequest): Promise<SyncResult> | SyncResult {
    if (group.isStaticMemberFenced(req.memberId, req.groupInstanceId))
      return syncError(ErrorCode.FENCED_INSTANCE_ID);
    const member = group.members.get(req.memberId);
    if (!member) return syncError(ErrorCode.UNKNOWN_MEMBER_ID);
    if (req.generationId !== group.generationId) return syncError(ErrorCode.ILLEGAL_GENERATION);
    switch (group.state) {
      case 'PreparingRebalance':
        return syncError(ErrorCode.REBALANCE_IN_PROGRESS);
      case 'Stable':
        this.armSession(group, member);
        return group.syncResultFor(member);
      case 'CompletingRebalance': {
        member.answerSync(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        member.stopSessionTimer();
        const parked = new Promise<SyncResult>((resolve) => {
          member.pendingSync = resolve;
        });
        if (group.isLeader(member.memberId)) this.applyAssignment(group, req.assignments);
        return parked;
      }
      default:
        return syncError(ErrorCode.UNKNOWN_MEMBER_ID);
    }
  }

  /** The leader's assignment: stored, the group becomes Stable, every parked SyncGroup answered. */
  private applyAssignment(group: ConsumerGroup, assignments: SyncRequest['assignments']): void {
    const byMember = new Map(assignments.map((a) => [a.memberId, a.assignment]));
    for (const m of group.members.values()) m.assignment = byMember.get(m.memberId) ?? EMPTY;
    group.transition('Stable');
    this.log.info({ group: group.groupId, generation: group.generationId }, 'group is stable');
    for (const m of group.members.values()) {
      if (m.awaitingSync) this.answerSync(group, m, group.syncResultFor(m));
    }
  }

  private answerSync(group: ConsumerGroup, member: GroupMember, result: SyncResult): void {
    member.answerSync(result);
    this.armSession(group, member);
  }

  heartbeat(group: ConsumerGroup, req: MemberRef): number {
    if (group.state === 'Empty' || group.state === 'Dead') return ErrorCode.UNKNOWN_MEMBER_ID;
    if (group.isStaticMemberFenced(req.memberId, req.groupInstanceId)) return ErrorCode.FENCED_INSTANCE_ID;
    const member = group.members.get(req.memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (req.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    this.touch(group, member);
    // This is how members learn that they must rejoin.
    return group.state === 'PreparingRebalance' ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
  }

  /** A sign of life (Heartbeat, or OffsetCommit as in Kafka) re-arms the session timer. */
  touch(group: ConsumerGroup, member: GroupMember): void {
    if (!member.awaitingJoin && !member.awaitingSync) this.armSession(group, member);
  }

  /** One member of a LeaveGroup; returns its error code. */
  leave(group: ConsumerGroup, memberId: string, groupInstanceId: string | null): number {
    if (groupInstanceId !== null) {
      const currentId = group.staticMembers.get(groupInstanceId);
      if (currentId === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (memberId !== '' && memberId !== currentId) return ErrorCode.FENCED_INSTANCE_ID;
      memberId = currentId;
    }
    const pending = group.pendingMembers.get(memberId);
    if (pending) {
      pending.cancel();
      group.pendingMembers.delete(memberId);
      this.afterRemoval(group, `pending member ${memberId} left`);
      return ErrorCode.NONE;
    }
    const member = group.members.get(memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    this.log.info({ group: group.groupId, member: memberId }, 'member left the group');
    this.dropMember(group, member);
    this.afterRemoval(group, `member ${memberId} left`);
    return ErrorCode.NONE;
  }

  private dropMember(group: ConsumerGroup, member: GroupMember): void {
    member.stopSessionTimer();
    member.answerJoin(joinError(ErrorCode.UNKNOWN_MEMBER_ID, member.memberId));
    member.answerSync(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    group.remove(member.memberId);
  }

  private afterRemoval(group: ConsumerGroup, reason: string): void {
    if (group.state === 'Stable' || group.state === 'CompletingRebalance')
      this.prepareRebalance(group, reason);
    else if (group.state === 'PreparingRebalance') this.tryCompleteJoin(group);
    else if (group.state === 'Empty' && group.members.size === 0 && group.pendingMembers.size === 0) {
      this.hooks.onEmpty(group);
    }
  }

  private expirePendingMember(group: ConsumerGroup, memberId: string): void {
    if (!group.pendingMembers.delete(memberId)) return;
    this.log.info({ group: group.groupId, member: memberId }, 'member given an id never joined; forgotten');
    this.afterRemoval(group, `pending member ${memberId} expired`);
  }

  private armSession(group: ConsumerGroup, member: GroupMember): void {
    member.stopSessionTimer();
    member.sessionTimer = this.clock.after(member.sessionTimeoutMs, () => {
      if (group.members.get(member.memberId) !== member || member.awaitingJoin || member.awaitingSync) return;
      this.log.info(
        { group: group.groupId, member: member.memberId, sessionTimeoutMs: member.sessionTimeoutMs },
        'member session expired; removed',
      );
      this.dropMember(group, member);
      this.afterRemoval(group, `member ${member.memberId} session expired`);
    });
  }

  /** Answers everything parked and stops every timer of the group (coordinator shutdown). */
  shutdown(group: ConsumerGroup, errorCode: number): void {
    group.cancelRebalanceTimer();
    for (const t of group.pendingMembers.values()) t.cancel();
    for (const m of group.members.values()) {
      m.stopSessionTimer();
      m.answerJoin(joinError(errorCode, m.memberId));
      m.answerSync(syncError(errorCode));
    }
  }
}
