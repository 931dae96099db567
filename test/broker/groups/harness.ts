/** Drives GroupMembership on one ConsumerGroup with a fake clock, the way the handlers would. */
import { ConsumerGroup } from '../../../src/broker/groups/group.js';
import type { GroupProtocol } from '../../../src/broker/groups/member.js';
import {
  defaultMembershipConfig,
  GroupMembership,
  type MembershipConfig,
} from '../../../src/broker/groups/membership.js';
import type { JoinRequest, JoinResult, SyncResult } from '../../../src/broker/groups/requests.js';
import { silentLogger } from '../../../src/log.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { FakeScheduler } from './fake-scheduler.js';

export const SESSION_MS = 10_000;
export const REBALANCE_MS = 30_000;

export const proto = (name: string, metadata = name): GroupProtocol => ({
  name,
  metadata: Buffer.from(metadata),
});

/** A result that may still be parked; `value` is set once the coordinator answers. */
export interface Pending<T> {
  done: boolean;
  value: T | undefined;
}

export function track<T>(r: Promise<T> | T): Pending<T> {
  const box: Pending<T> = { done: false, value: undefined };
  Promise.resolve(r).then((v) => {
    box.done = true;
    box.value = v;
  });
  return box;
}

/** Lets resolved promises deliver (answers are resolved synchronously by the coordinator). */
export const settle = () => new Promise<void>((r) => setImmediate(r));

export function joinRequest(over: Partial<JoinRequest> = {}): JoinRequest {
  return {
    groupId: 'g',
    memberId: '',
    groupInstanceId: null,
    clientId: 'c',
    clientHost: '/127.0.0.1',
    sessionTimeoutMs: SESSION_MS,
    rebalanceTimeoutMs: REBALANCE_MS,
    protocolType: 'consumer',
    protocols: [proto('range')],
    requireKnownMemberId: true,
    ...over,
  };
}

export class Harness {
  readonly clock = new FakeScheduler();
  readonly group = new ConsumerGroup('g');
  readonly emptied: string[] = [];
  readonly membership: GroupMembership;
  private ids = 0;

  constructor(config: Partial<MembershipConfig> = {}) {
    this.membership = new GroupMembership(
      { ...defaultMembershipConfig, ...config },
      this.clock,
      silentLogger(),
      {
        newMemberId: (clientId, instanceId) => `${instanceId ?? clientId}-${++this.ids}`,
        onEmpty: (g) => this.emptied.push(g.groupId),
      },
    );
  }

  join(over: Partial<JoinRequest> = {}): Pending<JoinResult> {
    return track(this.membership.join(this.group, joinRequest(over)));
  }

  /** A dynamic member's first join: MEMBER_ID_REQUIRED, then the join with the given id. */
  async joinNew(
    clientId: string,
    over: Partial<JoinRequest> = {},
  ): Promise<{ id: string; join: Pending<JoinResult> }> {
    const first = this.membership.join(this.group, joinRequest({ clientId, ...over })) as JoinResult;
    if (first.errorCode !== ErrorCode.MEMBER_ID_REQUIRED)
      throw new Error(`expected MEMBER_ID_REQUIRED, got ${first.errorCode}`);
    const join = this.join({ clientId, memberId: first.memberId, ...over });
    await settle();
    return { id: first.memberId, join };
  }

  sync(
    memberId: string,
    generationId: number,
    assignments: Record<string, string> = {},
  ): Pending<SyncResult> {
    return track(
      this.membership.sync(this.group, {
        groupId: 'g',
        generationId,
        memberId,
        groupInstanceId: this.group.members.get(memberId)?.groupInstanceId ?? null,
        assignments: Object.entries(assignments).map(([m, a]) => ({
          memberId: m,
          assignment: Buffer.from(a),
        })),
      }),
    );
  }

  heartbeat(
    memberId: string,
    generationId = this.group.generationId,
    groupInstanceId: string | null = null,
  ): number {
    return this.membership.heartbeat(this.group, { groupId: 'g', generationId, memberId, groupInstanceId });
  }

  /** One member alone in a Stable group: id and generation. */
  async stableSingle(clientId = 'a'): Promise<string> {
    const { id } = await this.joinNew(clientId);
    const s = this.sync(id, this.group.generationId, { [id]: `${clientId}-assignment` });
    await settle();
    if (!s.done || this.group.state !== 'Stable') throw new Error('group did not become stable');
    return id;
  }

  /** Two members, a (leader) and b, Stable in generation 2 with assignments 'A' and 'B'. */
  async stablePair(): Promise<{ a: string; b: { id: string } }> {
    const a = await this.stableSingle('a');
    const b = await this.joinNew('b');
    this.join({ clientId: 'a', memberId: a });
    await settle();
    this.sync(b.id, 2);
    this.sync(a, 2, { [a]: 'A', [b.id]: 'B' });
    await settle();
    if (this.group.state !== 'Stable' || this.group.generationId !== 2)
      throw new Error('pair did not become stable');
    return { a, b };
  }
}
