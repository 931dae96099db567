import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GroupCoordinator } from '../../../src/broker/groups/coordinator.js';
import type { CommitRequest, JoinResult } from '../../../src/broker/groups/requests.js';
import { silentLogger } from '../../../src/log.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { FakeScheduler } from './fake-scheduler.js';
import { joinRequest, settle } from './harness.js';

let dir: string;
let clock: FakeScheduler;
const coordinators: GroupCoordinator[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mq-groups-'));
  clock = new FakeScheduler();
});

afterEach(async () => {
  for (const c of coordinators.splice(0)) await c.close();
  await rm(dir, { recursive: true, force: true });
});

async function coordinator(): Promise<GroupCoordinator> {
  const c = new GroupCoordinator(dir, { kind: 'sync' }, silentLogger(), { scheduler: clock });
  await c.open();
  coordinators.push(c);
  return c;
}

/** One member, Stable, generation 1. */
async function stableMember(c: GroupCoordinator, groupId = 'g'): Promise<string> {
  const first = (await c.join(joinRequest({ groupId }))) as JoinResult;
  const joined = await c.join(joinRequest({ groupId, memberId: first.memberId }));
  await c.sync({
    groupId,
    generationId: joined.generationId,
    memberId: first.memberId,
    groupInstanceId: null,
    assignments: [],
  });
  return first.memberId;
}

const commit = (over: Partial<CommitRequest> = {}): CommitRequest => ({
  groupId: 'g',
  generationId: -1,
  memberId: '',
  groupInstanceId: null,
  offsets: [{ topic: 't', partition: 0, offset: 5, leaderEpoch: -1, metadata: 'meta' }],
  ...over,
});

describe('GroupCoordinator offsets', () => {
  it('accepts a standalone commit for an unknown group and serves it to OffsetFetch', async () => {
    const c = await coordinator();
    expect(await c.commit(commit())).toBe(ErrorCode.NONE);
    expect(c.fetchOffsets('g', [{ topic: 't', partitions: [0, 1] }])).toEqual({
      errorCode: 0,
      topics: [
        {
          topic: 't',
          partitions: [
            { partition: 0, offset: 5, leaderEpoch: -1, metadata: 'meta' },
            { partition: 1, offset: -1, leaderEpoch: -1, metadata: '' },
          ],
        },
      ],
    });
    expect(c.fetchOffsets('g', null).topics).toEqual([
      { topic: 't', partitions: [{ partition: 0, offset: 5, leaderEpoch: -1, metadata: 'meta' }] },
    ]);
    expect(c.fetchOffsets('unknown', null).topics).toEqual([]);
  });

  it('checks generation and member against an active group', async () => {
    const c = await coordinator();
    const m = await stableMember(c);
    expect(await c.commit(commit())).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(await c.commit(commit({ generationId: 1, memberId: 'nobody' }))).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(await c.commit(commit({ generationId: 7, memberId: m }))).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(await c.commit(commit({ generationId: 1, memberId: m }))).toBe(ErrorCode.NONE);
    expect(await c.commit(commit({ groupId: 'gone', generationId: 3, memberId: 'x' }))).toBe(
      ErrorCode.ILLEGAL_GENERATION,
    );
  });

  it('answers REBALANCE_IN_PROGRESS between JoinGroup and SyncGroup', async () => {
    const c = await coordinator();
    const first = (await c.join(joinRequest())) as JoinResult;
    await c.join(joinRequest({ memberId: first.memberId }));
    expect(await c.commit(commit({ generationId: 1, memberId: first.memberId }))).toBe(
      ErrorCode.REBALANCE_IN_PROGRESS,
    );
  });

  it('keeps committed offsets across a restart; old member ids are unknown after it', async () => {
    const c = await coordinator();
    const m = await stableMember(c);
    expect(await c.commit(commit({ generationId: 1, memberId: m }))).toBe(ErrorCode.NONE);
    await c.close();
    const again = await coordinator();
    expect(again.fetchOffsets('g', [{ topic: 't', partitions: [0] }]).topics[0].partitions[0].offset).toBe(5);
    expect(again.heartbeat({ groupId: 'g', generationId: 1, memberId: m, groupInstanceId: null })).toBe(
      ErrorCode.UNKNOWN_MEMBER_ID,
    );
    const rejoin = await again.join(joinRequest({ memberId: m }));
    expect(rejoin.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(again.list()).toEqual([{ groupId: 'g', protocolType: '', state: 'Empty' }]);
  });
});

describe('GroupCoordinator views and lifecycle', () => {
  it('describes a stable group with metadata and assignment, an unknown one as Dead', async () => {
    const c = await coordinator();
    const first = (await c.join(joinRequest({ clientId: 'app' }))) as JoinResult;
    await c.join(joinRequest({ clientId: 'app', memberId: first.memberId }));
    const d1 = c.describe('g');
    expect(d1).toMatchObject({ state: 'CompletingRebalance', protocolType: 'consumer', protocolName: '' });
    expect(d1.members[0].metadata.length).toBe(0);
    await c.sync({
      groupId: 'g',
      generationId: 1,
      memberId: first.memberId,
      groupInstanceId: null,
      assignments: [{ memberId: first.memberId, assignment: Buffer.from('A') }],
    });
    const d2 = c.describe('g');
    expect(d2).toMatchObject({ state: 'Stable', protocolType: 'consumer', protocolName: 'range' });
    expect(d2.members).toEqual([
      {
        memberId: first.memberId,
        groupInstanceId: null,
        clientId: 'app',
        clientHost: '/127.0.0.1',
        metadata: Buffer.from('range'),
        assignment: Buffer.from('A'),
      },
    ]);
    expect(c.describe('nope')).toMatchObject({ state: 'Dead', members: [] });
  });

  it('lists groups with a case-insensitive state filter', async () => {
    const c = await coordinator();
    await stableMember(c, 'live');
    await c.commit(commit({ groupId: 'offsets-only' }));
    expect(c.list().map((g) => [g.groupId, g.state])).toEqual([
      ['live', 'Stable'],
      ['offsets-only', 'Empty'],
    ]);
    expect(c.list(['stable']).map((g) => g.groupId)).toEqual(['live']);
    expect(c.list(['Empty']).map((g) => g.groupId)).toEqual(['offsets-only']);
  });

  it('drops a group that empties without offsets, keeps one with offsets', async () => {
    const c = await coordinator();
    const a = await stableMember(c, 'a');
    const b = await stableMember(c, 'b');
    await c.commit(commit({ groupId: 'b', generationId: 1, memberId: b }));
    expect(c.leave('a', [{ memberId: a, groupInstanceId: null }])).toEqual([ErrorCode.NONE]);
    expect(c.leave('b', [{ memberId: b, groupInstanceId: null }])).toEqual([ErrorCode.NONE]);
    expect(c.list().map((g) => [g.groupId, g.state])).toEqual([['b', 'Empty']]);
    expect(c.leave('a', [{ memberId: a, groupInstanceId: null }])).toEqual([ErrorCode.UNKNOWN_MEMBER_ID]);
    // After emptying, a standalone commit is accepted again.
    expect(await c.commit(commit({ groupId: 'b' }))).toBe(ErrorCode.NONE);
  });

  it('forgets the offsets of a deleted topic and the groups left with none', async () => {
    const c = await coordinator();
    await c.commit(commit({ groupId: 'a' }));
    await c.commit(
      commit({
        groupId: 'b',
        offsets: [{ topic: 'u', partition: 0, offset: 1, leaderEpoch: -1, metadata: null }],
      }),
    );
    await c.deleteTopic('t');
    expect(c.list().map((g) => g.groupId)).toEqual(['b']);
    expect(c.fetchOffsets('a', [{ topic: 't', partitions: [0] }]).topics[0].partitions[0].offset).toBe(-1);
  });

  it('does not keep a group created by a join that was refused', async () => {
    const c = await coordinator();
    const r = await c.join(joinRequest({ sessionTimeoutMs: 1 }));
    expect(r.errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect(c.list()).toEqual([]);
  });

  it('answers parked joins with NOT_COORDINATOR on close, and refuses requests after', async () => {
    const c = await coordinator();
    await stableMember(c);
    const first = (await c.join(joinRequest({ clientId: 'b' }))) as JoinResult;
    const parked = c.join(joinRequest({ clientId: 'b', memberId: first.memberId }));
    await settle();
    await c.close();
    expect((await parked).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(await c.commit(commit())).toBe(ErrorCode.NOT_COORDINATOR);
    expect(clock.activeTimers).toBe(0);
  });
});
