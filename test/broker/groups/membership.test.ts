import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { Harness, proto, REBALANCE_MS, SESSION_MS, settle } from './harness.js';

describe('GroupMembership: join and sync', () => {
  it('gives a new dynamic member an id with MEMBER_ID_REQUIRED, then makes it leader of generation 1', async () => {
    const h = new Harness();
    const first = h.join({ clientId: 'app' });
    await settle();
    expect(first.value).toMatchObject({ errorCode: ErrorCode.MEMBER_ID_REQUIRED, memberId: 'app-1' });
    expect(h.group.state).toBe('Empty');

    const { join } = { join: h.join({ clientId: 'app', memberId: 'app-1' }) };
    await settle();
    expect(join.value).toMatchObject({
      errorCode: 0,
      generationId: 1,
      leader: 'app-1',
      memberId: 'app-1',
      protocolName: 'range',
    });
    expect(join.value!.members.map((m) => [m.memberId, m.metadata.toString()])).toEqual([['app-1', 'range']]);
    expect(h.group.state).toBe('CompletingRebalance');

    const sync = h.sync('app-1', 1, { 'app-1': 'p0,p1' });
    await settle();
    expect(sync.value!.errorCode).toBe(0);
    expect(sync.value!.assignment.toString()).toBe('p0,p1');
    expect(h.group.state).toBe('Stable');
  });

  it('rebalances when a member joins: the others learn it from Heartbeat, the leader gets every member', async () => {
    const h = new Harness();
    const a = await h.stableSingle('a');
    const b = await h.joinNew('b');
    expect(b.join.done).toBe(false);
    expect(h.group.state).toBe('PreparingRebalance');
    expect(h.heartbeat(a, 1)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);

    const aJoin = h.join({ clientId: 'a', memberId: a });
    await settle();
    expect(aJoin.value).toMatchObject({ errorCode: 0, generationId: 2, leader: a });
    expect(aJoin.value!.members.map((m) => m.memberId)).toEqual([a, b.id]);
    expect(b.join.value).toMatchObject({ errorCode: 0, generationId: 2, leader: a, members: [] });

    // The follower arrives first and waits for the leader's assignment.
    const bSync = h.sync(b.id, 2);
    await settle();
    expect(bSync.done).toBe(false);
    expect(h.heartbeat(b.id, 2)).toBe(ErrorCode.NONE);
    const aSync = h.sync(a, 2, { [a]: 'A', [b.id]: 'B' });
    await settle();
    expect(aSync.value!.assignment.toString()).toBe('A');
    expect(bSync.value!.assignment.toString()).toBe('B');
    expect(h.group.state).toBe('Stable');
    // A heartbeat of the generation before, or of one not reached yet: ILLEGAL_GENERATION.
    expect(h.heartbeat(b.id, 1)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(h.heartbeat(a, 3)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(h.heartbeat('no-such-member', 2)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('rejects SyncGroup from unknown members, old generations and during a rebalance', async () => {
    const h = new Harness();
    const a = await h.stableSingle('a');
    const unknown = h.sync('nobody', 1);
    const old = h.sync(a, 0);
    await h.joinNew('b');
    const during = h.sync(a, 1);
    await settle();
    expect(unknown.value!.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(old.value!.errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(during.value!.errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
  });

  it('answers a rejoining follower with unchanged metadata at once, but rebalances when the leader rejoins', async () => {
    const h = new Harness();
    const { a, b } = await h.stablePair();

    const again = h.join({ clientId: 'b', memberId: b.id });
    await settle();
    expect(again.value).toMatchObject({ errorCode: 0, generationId: 2, leader: a, members: [] });
    expect(h.group.state).toBe('Stable');

    const leader = h.join({ clientId: 'a', memberId: a });
    await settle();
    expect(leader.done).toBe(false);
    expect(h.group.state).toBe('PreparingRebalance');
  });

  it('answers a parked SyncGroup with REBALANCE_IN_PROGRESS when the leader leaves before assigning', async () => {
    const h = new Harness();
    const a = await h.stableSingle('a');
    const b = await h.joinNew('b');
    h.join({ clientId: 'a', memberId: a });
    await settle();
    const bSync = h.sync(b.id, 2);
    await settle();
    expect(h.membership.leave(h.group, a, null)).toBe(ErrorCode.NONE);
    await settle();
    expect(bSync.value!.errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    // b is alone now and rejoins as leader of generation 3.
    const rejoin = h.join({ clientId: 'b', memberId: b.id });
    await settle();
    expect(rejoin.value).toMatchObject({ generationId: 3, leader: b.id });
  });

  it('answers the first of two parked JoinGroups of one member, so its connection is not stuck', async () => {
    const h = new Harness();
    await h.stableSingle('a');
    const b = await h.joinNew('b');
    const second = h.join({ clientId: 'b', memberId: b.id });
    await settle();
    expect(b.join.value!.errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(second.done).toBe(false);
  });
});

describe('GroupMembership: protocols and timeouts', () => {
  it('refuses a member whose protocol type or protocols do not fit the group', async () => {
    const h = new Harness();
    await h.stableSingle('a');
    const otherType = h.join({ clientId: 'b', protocolType: 'connect' });
    const noCommon = h.join({ clientId: 'b', protocols: [proto('roundrobin')] });
    const none = h.join({ clientId: 'b', protocols: [] });
    await settle();
    expect(otherType.value!.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect(noCommon.value!.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect(none.value!.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  });

  it('bounds the session timeout (configurable)', async () => {
    const h = new Harness();
    const low = h.join({ sessionTimeoutMs: 5_999 });
    const high = h.join({ sessionTimeoutMs: 300_001 });
    await settle();
    expect(low.value!.errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect(high.value!.errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    const relaxed = new Harness({ minSessionTimeoutMs: 1_000 });
    const ok = relaxed.join({ sessionTimeoutMs: 1_000 });
    await settle();
    expect(ok.value!.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
  });

  it('chooses the protocol by the members’ votes among those all support', async () => {
    const h = new Harness();
    const a = await h.joinNew('a', { protocols: [proto('roundrobin'), proto('range')] });
    await settle();
    expect(a.join.value!.protocolName).toBe('roundrobin');
    h.sync(a.id, 1, {});
    const b = await h.joinNew('b', { protocols: [proto('range'), proto('roundrobin')] });
    const c = await h.joinNew('c', { protocols: [proto('range'), proto('sticky'), proto('roundrobin')] });
    h.join({ clientId: 'a', memberId: a.id, protocols: [proto('roundrobin'), proto('range')] });
    await settle();
    // 'range' has two votes (b, c) against one; the leader gets metadata for 'range'.
    expect(b.join.value!.protocolName).toBe('range');
    expect(c.join.value!.protocolName).toBe('range');
    expect(h.group.protocolName).toBe('range');
  });

  it('removes members that do not rejoin within the rebalance timeout, even if they heartbeat', async () => {
    const h = new Harness();
    const { a, b } = await h.stablePair();

    const c = await h.joinNew('c');
    const aJoin = h.join({ clientId: 'a', memberId: a });
    for (let t = 0; t < REBALANCE_MS - 5_000; t += 5_000) {
      h.clock.advance(5_000);
      expect(h.heartbeat(b.id, 2)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    }
    await settle();
    expect(c.join.done).toBe(false);
    h.clock.advance(5_000);
    await settle();
    expect(aJoin.value).toMatchObject({ errorCode: 0, generationId: 3 });
    expect(aJoin.value!.members.map((m) => m.memberId)).toEqual([a, c.id]);
    expect(c.join.value!.generationId).toBe(3);
    expect(h.heartbeat(b.id, 3)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('evicts a member whose session expires and rebalances the rest', async () => {
    const h = new Harness();
    const { a, b } = await h.stablePair();
    expect(h.group.state).toBe('Stable');

    for (let t = 0; t < SESSION_MS - 3_000; t += 3_000) {
      h.clock.advance(3_000);
      expect(h.heartbeat(a, 2)).toBe(ErrorCode.NONE);
    }
    h.clock.advance(3_000);
    expect(h.group.members.has(b.id)).toBe(false);
    expect(h.heartbeat(a, 2)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const rejoin = h.join({ clientId: 'a', memberId: a });
    await settle();
    expect(rejoin.value).toMatchObject({ generationId: 3, leader: a });
    expect(rejoin.value!.members).toHaveLength(1);
  });

  it('forgets a member id handed out with MEMBER_ID_REQUIRED that never comes back', async () => {
    const h = new Harness();
    h.join({ clientId: 'x' });
    await settle();
    expect(h.group.pendingMembers.size).toBe(1);
    h.clock.advance(SESSION_MS);
    expect(h.group.pendingMembers.size).toBe(0);
    expect(h.emptied).toEqual(['g']);
  });

  it('waits the initial rebalance delay before completing the first join of an empty group', async () => {
    const h = new Harness({ initialRebalanceDelayMs: 3_000 });
    const a = await h.joinNew('a');
    const b = await h.joinNew('b');
    expect(a.join.done).toBe(false);
    h.clock.advance(3_000);
    await settle();
    expect(a.join.value!.members).toHaveLength(2);
    expect(b.join.value!.generationId).toBe(1);
  });
});

describe('GroupMembership: leave', () => {
  it('removes leaving members (batch), rebalances the rest, and empties the group with the last one', async () => {
    const h = new Harness();
    const { a, b } = await h.stablePair();

    expect(h.membership.leave(h.group, b.id, null)).toBe(ErrorCode.NONE);
    expect(h.membership.leave(h.group, 'nobody', null)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(h.heartbeat(a, 2)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(h.membership.leave(h.group, a, null)).toBe(ErrorCode.NONE);
    expect(h.group.state).toBe('Empty');
    expect(h.group.generationId).toBe(3);
    expect(h.emptied).toEqual(['g']);
    expect(h.heartbeat(a, 3)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(h.clock.activeTimers).toBe(0);
  });
});

describe('GroupMembership: static membership', () => {
  async function stableStatic(h: Harness): Promise<string> {
    const join = h.join({ clientId: 'app', groupInstanceId: 'i1' });
    await settle();
    // Static members are not asked for MEMBER_ID_REQUIRED.
    expect(join.value).toMatchObject({ errorCode: 0, generationId: 1, memberId: 'i1-1' });
    h.sync('i1-1', 1, { 'i1-1': 'P' });
    await settle();
    return 'i1-1';
  }

  it('lets a restarted instance replace its old member id without a rebalance and fences the old id', async () => {
    const h = new Harness();
    const old = await stableStatic(h);
    const again = h.join({ clientId: 'app', groupInstanceId: 'i1' });
    await settle();
    expect(again.value).toMatchObject({ errorCode: 0, generationId: 1, memberId: 'i1-2', members: [] });
    // The old leader id comes back, so the new instance does not try to assign.
    expect(again.value!.leader).toBe(old);
    expect(h.group.state).toBe('Stable');
    expect(h.heartbeat(old, 1, 'i1')).toBe(ErrorCode.FENCED_INSTANCE_ID);
    const oldJoin = h.join({ clientId: 'app', groupInstanceId: 'i1', memberId: old });
    const sync = h.sync('i1-2', 1);
    await settle();
    expect(oldJoin.value!.errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(sync.value!.assignment.toString()).toBe('P');
    expect(h.membership.leave(h.group, old, 'i1')).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(h.membership.leave(h.group, '', 'i1')).toBe(ErrorCode.NONE);
    expect(h.group.state).toBe('Empty');
  });

  it('rebalances when the replacement changes the protocol the group would choose', async () => {
    const h = new Harness();
    await stableStatic(h);
    const again = h.join({ clientId: 'app', groupInstanceId: 'i1', protocols: [proto('roundrobin')] });
    await settle();
    expect(again.value).toMatchObject({
      errorCode: 0,
      generationId: 2,
      protocolName: 'roundrobin',
      memberId: 'i1-2',
    });
  });
});
