/**
 * A consumer group's membership and state, as Kafka's classic protocol defines them
 * (kafka.coordinator.group.GroupMetadata). The rules that move a group between states live in
 * membership.ts; this file holds the data and the checks that only read it.
 *
 *   Empty ──join──▶ PreparingRebalance ──all rejoined / timeout──▶ CompletingRebalance
 *     ▲                 ▲         │                                     │ leader's SyncGroup
 *     └── no members ───┘         └──────── member joins/leaves ◀───────┤
 *                                                                       ▼
 *                                          member joins/leaves/expires ◀─ Stable
 *   Dead: the group was removed (Empty, no committed offsets, nobody pending); any holder of a
 *   stale reference must treat it as gone.
 *
 * Invariants:
 * - `leaderId` is a member of `members` whenever `members` is not empty, and null otherwise.
 * - `staticMembers` maps every static member's group.instance.id to its current member id.
 * - `generationId` increases by one each time a rebalance completes (also when it ends Empty).
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { GroupMember, GroupProtocol } from './member.js';
import type { JoinResult, SyncResult } from './requests.js';
import type { Timer } from './scheduler.js';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export const GROUP_STATES: readonly GroupState[] = [
  'Empty',
  'PreparingRebalance',
  'CompletingRebalance',
  'Stable',
  'Dead',
];

const VALID_PREVIOUS: Record<GroupState, readonly GroupState[]> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead'],
};

export class ConsumerGroup {
  state: GroupState = 'Empty';
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  /** Insertion-ordered: the first member becomes leader when the leader goes. */
  readonly members = new Map<string, GroupMember>();
  readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED, not joined yet, each with its expiry timer. */
  readonly pendingMembers = new Map<string, Timer>();
  /** The rebalance (join) timeout, or the initial delay of a group's first rebalance. */
  rebalanceTimer: Timer | null = null;
  /** While true the join does not complete early: the initial rebalance delay is running. */
  initialDelayRunning = false;

  constructor(readonly groupId: string) {}

  transition(to: GroupState): void {
    if (!VALID_PREVIOUS[to].includes(this.state)) {
      throw new Error(`group ${this.groupId}: illegal transition ${this.state} -> ${to}`);
    }
    this.state = to;
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  add(member: GroupMember, protocolType: string): void {
    if (this.members.size === 0) this.protocolType = protocolType;
    this.members.set(member.memberId, member);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    if (this.leaderId === null) this.leaderId = member.memberId;
  }

  remove(memberId: string): GroupMember | undefined {
    const member = this.members.get(memberId);
    if (!member) return undefined;
    this.members.delete(memberId);
    if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === memberId) {
      this.staticMembers.delete(member.groupInstanceId);
    }
    if (this.leaderId === memberId) this.leaderId = this.members.keys().next().value ?? null;
    return member;
  }

  /** Re-keys a static member under a new member id; the old id is fenced from then on. */
  replaceStaticMember(member: GroupMember, newMemberId: string): void {
    const oldId = member.memberId;
    this.members.delete(oldId);
    member.memberId = newMemberId;
    this.members.set(newMemberId, member);
    this.staticMembers.set(member.groupInstanceId!, newMemberId);
    if (this.leaderId === oldId) this.leaderId = newMemberId;
  }

  /**
   * A request naming a group.instance.id that now belongs to another member id comes from a
   * replaced (zombie) instance.
   */
  isStaticMemberFenced(memberId: string, groupInstanceId: string | null): boolean {
    if (groupInstanceId === null) return false;
    const current = this.staticMembers.get(groupInstanceId);
    return current !== undefined && current !== memberId;
  }

  /** Protocol names every member (but `except`) supports. */
  private candidateProtocols(except?: string): Set<string> | null {
    let candidates: string[] | null = null;
    for (const m of this.members.values()) {
      if (m.memberId === except) continue;
      const names = m.protocols.map((p) => p.name);
      candidates = candidates === null ? names : candidates.filter((n) => names.includes(n));
    }
    return candidates === null ? null : new Set(candidates);
  }

  /**
   * Whether a member joining with these protocols can be part of the group: the same protocol
   * type, and at least one protocol every other member supports too.
   */
  supportsProtocols(protocolType: string, protocols: GroupProtocol[], joiningMemberId?: string): boolean {
    if (protocolType === '' || protocols.length === 0) return false;
    const candidates = this.candidateProtocols(joiningMemberId);
    if (candidates === null) return true;
    return this.protocolType === protocolType && protocols.some((p) => candidates.has(p.name));
  }

  /**
   * The protocol for the next generation: among those every member supports, each member votes
   * for the first in its own preference order; most votes wins, ties going to the leader's
   * preference (Kafka breaks ties arbitrarily; this keeps it deterministic).
   */
  selectProtocol(): string {
    const candidates = this.candidateProtocols();
    if (!candidates || candidates.size === 0) throw new Error(`group ${this.groupId}: no common protocol`);
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const vote = m.protocols.find((p) => candidates.has(p.name))!.name;
      votes.set(vote, (votes.get(vote) ?? 0) + 1);
    }
    const leader = this.leaderId ? this.members.get(this.leaderId) : undefined;
    const order = (leader ?? this.members.values().next().value!).protocols.map((p) => p.name);
    let best = '';
    let bestVotes = -1;
    for (const name of order) {
      const v = votes.get(name) ?? 0;
      if (v > bestVotes && candidates.has(name)) {
        best = name;
        bestVotes = v;
      }
    }
    return best;
  }

  /** The protocol the group would choose now, or null when the members share none. */
  nextProtocol(): string | null {
    try {
      return this.selectProtocol();
    } catch {
      return null;
    }
  }

  /** The JoinGroup answer of the current generation: only the leader gets the members' metadata. */
  joinResultFor(member: GroupMember): JoinResult {
    const protocol = this.protocolName ?? '';
    return {
      errorCode: ErrorCode.NONE,
      generationId: this.generationId,
      protocolType: this.protocolType,
      protocolName: this.protocolName,
      leader: this.leaderId ?? '',
      memberId: member.memberId,
      members: this.isLeader(member.memberId)
        ? [...this.members.values()].map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            metadata: m.metadataFor(protocol),
          }))
        : [],
    };
  }

  syncResultFor(member: GroupMember): SyncResult {
    return {
      errorCode: ErrorCode.NONE,
      protocolType: this.protocolType,
      protocolName: this.protocolName,
      assignment: member.assignment,
    };
  }

  /** Every member has a parked JoinGroup, and nobody given an id is still on the way. */
  allMembersJoined(): boolean {
    if (this.pendingMembers.size > 0) return false;
    for (const m of this.members.values()) if (!m.awaitingJoin) return false;
    return true;
  }

  maxRebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  cancelRebalanceTimer(): void {
    this.rebalanceTimer?.cancel();
    this.rebalanceTimer = null;
    this.initialDelayRunning = false;
  }
}
