import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GroupCoordinator } from '../../../src/broker/groups/coordinator.js';
import { type GroupBrokerContext, groupHandlers } from '../../../src/broker/handlers/group-handlers.js';
import { ProducerStateManager } from '../../../src/broker/producers/producer-state.js';
import { silentLogger } from '../../../src/log.js';
import * as DG from '../../../src/protocol/apis/describe-groups.js';
import * as FC from '../../../src/protocol/apis/find-coordinator.js';
import * as HB from '../../../src/protocol/apis/heartbeat.js';
import * as IP from '../../../src/protocol/apis/init-producer-id.js';
import * as JG from '../../../src/protocol/apis/join-group.js';
import * as LG from '../../../src/protocol/apis/leave-group.js';
import * as LS from '../../../src/protocol/apis/list-groups.js';
import * as OC from '../../../src/protocol/apis/offset-commit.js';
import * as OF from '../../../src/protocol/apis/offset-fetch.js';
import * as SG from '../../../src/protocol/apis/sync-group.js';
import {
  decodeConsumerAssignment,
  encodeConsumerAssignment,
  encodeConsumerSubscription,
} from '../../../src/protocol/consumer-protocol.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { FakeScheduler } from './fake-scheduler.js';
import { Wire } from './wire.js';

let dir: string;
let ctx: GroupBrokerContext;
let wire: Wire;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mq-group-handlers-'));
  const log = silentLogger();
  const groups = new GroupCoordinator(dir, { kind: 'sync' }, log, { scheduler: new FakeScheduler() });
  const producers = new ProducerStateManager(dir, log, { snapshotIntervalMs: 0 });
  await groups.open();
  await producers.open();
  ctx = {
    nodeId: 3,
    advertised: () => ({ host: 'localhost', port: 19092 }),
    groups,
    producers,
    log,
    logEndOffset: (topic, partition) => (topic === 'orders' && partition < 2 ? 100 : undefined),
  };
  wire = new Wire(groupHandlers(ctx));
});

afterEach(async () => {
  await ctx.groups.close();
  await ctx.producers.close();
  await rm(dir, { recursive: true, force: true });
});

const subscription = encodeConsumerSubscription({
  version: 1,
  topics: ['orders'],
  userData: null,
  ownedPartitions: [],
});

function join(version: number, memberId: string, over: Partial<JG.JoinGroupRequest> = {}) {
  const req: JG.JoinGroupRequest = {
    groupId: 'g',
    sessionTimeoutMs: 30_000,
    rebalanceTimeoutMs: 60_000,
    memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription }],
    ...over,
  };
  return wire.call(11, version, JG.encodeJoinGroupRequest, req, JG.decodeJoinGroupResponse);
}

/** A member through JoinGroup v5 (with MEMBER_ID_REQUIRED) and SyncGroup v3, owning both partitions. */
async function stableMember(): Promise<{ memberId: string; generationId: number }> {
  const first = await join(5, '');
  expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
  expect(first.memberId).toMatch(/^test-client-[0-9a-f-]{36}$/);
  const joined = await join(5, first.memberId);
  expect(joined).toMatchObject({
    errorCode: 0,
    generationId: 1,
    protocolName: 'range',
    leader: first.memberId,
  });
  expect(joined.members[0].metadata.equals(subscription)).toBe(true);
  const assignment = encodeConsumerAssignment({
    version: 1,
    assignedPartitions: [{ topic: 'orders', partitions: [0, 1] }],
    userData: null,
  });
  const sync = await wire.call(
    14,
    3,
    SG.encodeSyncGroupRequest,
    {
      groupId: 'g',
      generationId: 1,
      memberId: first.memberId,
      groupInstanceId: null,
      assignments: [{ memberId: first.memberId, assignment }],
    },
    SG.decodeSyncGroupResponse,
  );
  expect(sync.errorCode).toBe(0);
  expect(decodeConsumerAssignment(sync.assignment).assignedPartitions).toEqual([
    { topic: 'orders', partitions: [0, 1] },
  ]);
  return { memberId: first.memberId, generationId: 1 };
}

function commitReq(
  memberId: string,
  generationId: number,
  partitions: OC.OffsetCommitPartition[],
  topic = 'orders',
): OC.OffsetCommitRequest {
  return {
    groupId: 'g',
    generationId,
    memberId,
    groupInstanceId: null,
    retentionTimeMs: -1,
    topics: [{ name: topic, partitions }],
  };
}

const part = (
  partitionIndex: number,
  committedOffset: number,
  committedMetadata: string | null = null,
): OC.OffsetCommitPartition => ({
  partitionIndex,
  committedOffset,
  committedLeaderEpoch: -1,
  commitTimestamp: -1,
  committedMetadata,
});

describe('group handlers over the wire', () => {
  it('FindCoordinator answers with this node, single (v2) and batched (v4), for groups and transactions', async () => {
    const v2 = await wire.call(
      10,
      2,
      FC.encodeFindCoordinatorRequest,
      { key: 'g', keyType: 0, coordinatorKeys: [] },
      FC.decodeFindCoordinatorResponse,
    );
    expect(v2).toMatchObject({ errorCode: 0, nodeId: 3, host: 'localhost', port: 19092 });
    const v4 = await wire.call(
      10,
      4,
      FC.encodeFindCoordinatorRequest,
      { key: '', keyType: 1, coordinatorKeys: ['a', 'b'] },
      FC.decodeFindCoordinatorResponse,
    );
    expect(v4.coordinators.map((c) => [c.key, c.nodeId, c.port, c.errorCode])).toEqual([
      ['a', 3, 19092, 0],
      ['b', 3, 19092, 0],
    ]);
    const bad = await wire.call(
      10,
      3,
      FC.encodeFindCoordinatorRequest,
      { key: 'g', keyType: 9, coordinatorKeys: [] },
      FC.decodeFindCoordinatorResponse,
    );
    expect(bad.errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });

  it('runs a member through join, sync, heartbeat, commit, fetch, describe, list and leave', async () => {
    const { memberId, generationId } = await stableMember();
    const hb = await wire.call(
      12,
      4,
      HB.encodeHeartbeatRequest,
      { groupId: 'g', generationId, memberId, groupInstanceId: null },
      HB.decodeHeartbeatResponse,
    );
    expect(hb.errorCode).toBe(0);

    const commit = await wire.call(
      8,
      8,
      OC.encodeOffsetCommitRequest,
      commitReq(memberId, generationId, [part(0, 42, 'm'), part(1, 7)]),
      OC.decodeOffsetCommitResponse,
    );
    expect(commit.topics[0].partitions.map((p) => p.errorCode)).toEqual([0, 0]);

    const fetch7 = await wire.call(
      9,
      7,
      OF.encodeOffsetFetchRequest,
      {
        groupId: 'g',
        topics: [{ name: 'orders', partitionIndexes: [0, 1, 5] }],
        groups: [],
        requireStable: true,
      },
      OF.decodeOffsetFetchResponse,
    );
    expect(fetch7.errorCode).toBe(0);
    expect(fetch7.topics[0].partitions.map((p) => [p.partitionIndex, p.committedOffset, p.metadata])).toEqual(
      [
        [0, 42, 'm'],
        [1, 7, ''],
        [5, -1, ''],
      ],
    );
    const fetch8 = await wire.call(
      9,
      8,
      OF.encodeOffsetFetchRequest,
      {
        groupId: '',
        topics: [],
        groups: [
          { groupId: 'g', topics: null },
          { groupId: 'none', topics: null },
        ],
        requireStable: false,
      },
      OF.decodeOffsetFetchResponse,
    );
    expect(
      fetch8.groups.map((g) => [
        g.groupId,
        g.errorCode,
        g.topics.flatMap((t) => t.partitions.map((p) => p.committedOffset)),
      ]),
    ).toEqual([
      ['g', 0, [42, 7]],
      ['none', 0, []],
    ]);

    const described = await wire.call(
      15,
      5,
      DG.encodeDescribeGroupsRequest,
      { groups: ['g', 'unknown'], includeAuthorizedOperations: false },
      DG.decodeDescribeGroupsResponse,
    );
    expect(
      described.groups.map((g) => [
        g.groupId,
        g.groupState,
        g.protocolType,
        g.protocolData,
        g.members.length,
      ]),
    ).toEqual([
      ['g', 'Stable', 'consumer', 'range', 1],
      ['unknown', 'Dead', '', '', 0],
    ]);
    expect(described.groups[0].members[0]).toMatchObject({
      memberId,
      clientId: 'test-client',
      clientHost: '/127.0.0.1',
    });

    const listed = await wire.call(
      16,
      4,
      LS.encodeListGroupsRequest,
      { statesFilter: ['Stable'] },
      LS.decodeListGroupsResponse,
    );
    expect(listed.groups).toEqual([{ groupId: 'g', protocolType: 'consumer', groupState: 'Stable' }]);

    const left = await wire.call(
      13,
      4,
      LG.encodeLeaveGroupRequest,
      {
        groupId: 'g',
        memberId: '',
        members: [
          { memberId, groupInstanceId: null },
          { memberId: 'ghost', groupInstanceId: null },
        ],
      },
      LG.decodeLeaveGroupResponse,
    );
    expect(left.errorCode).toBe(0);
    expect(left.members.map((m) => m.errorCode)).toEqual([0, ErrorCode.UNKNOWN_MEMBER_ID]);
    const after = await wire.call(
      16,
      4,
      LS.encodeListGroupsRequest,
      { statesFilter: [] },
      LS.decodeListGroupsResponse,
    );
    expect(after.groups).toEqual([{ groupId: 'g', protocolType: 'consumer', groupState: 'Empty' }]);
  });

  it('reports LeaveGroup v1 errors at the top and answers JoinGroup v3 without MEMBER_ID_REQUIRED', async () => {
    const direct = await join(3, '');
    expect(direct).toMatchObject({ errorCode: 0, generationId: 1 });
    const left = await wire.call(
      13,
      1,
      LG.encodeLeaveGroupRequest,
      { groupId: 'g', memberId: 'ghost', members: [] },
      LG.decodeLeaveGroupResponse,
    );
    expect(left.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('refuses commits to unknown partitions and oversized metadata, commits the rest', async () => {
    const parts = [part(0, 1, 'x'.repeat(4096)), part(1, 2, 'x'.repeat(4097)), part(9, 3)];
    const res = await wire.call(
      8,
      7,
      OC.encodeOffsetCommitRequest,
      commitReq('', -1, parts),
      OC.decodeOffsetCommitResponse,
    );
    expect(res.topics[0].partitions.map((p) => p.errorCode)).toEqual([
      0,
      ErrorCode.OFFSET_METADATA_TOO_LARGE,
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    ]);
    const other = await wire.call(
      8,
      5,
      OC.encodeOffsetCommitRequest,
      commitReq('', -1, [part(0, 1)], 'nope'),
      OC.decodeOffsetCommitResponse,
    );
    expect(other.topics[0].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(ctx.groups.fetchOffsets('g', null).topics).toEqual([
      {
        topic: 'orders',
        partitions: [{ partition: 0, offset: 1, leaderEpoch: -1, metadata: 'x'.repeat(4096) }],
      },
    ]);
  });

  it('checks the member of an OffsetCommit against the group', async () => {
    const { memberId } = await stableMember();
    const old = await wire.call(
      8,
      8,
      OC.encodeOffsetCommitRequest,
      commitReq(memberId, 0, [part(0, 1)]),
      OC.decodeOffsetCommitResponse,
    );
    expect(old.topics[0].partitions[0].errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    const simple = await wire.call(
      8,
      8,
      OC.encodeOffsetCommitRequest,
      commitReq('', -1, [part(0, 1)]),
      OC.decodeOffsetCommitResponse,
    );
    expect(simple.topics[0].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('hands out producer ids, bumps epochs, fences old ones, refuses transactional ids', async () => {
    const first = await wire.call(
      22,
      1,
      IP.encodeInitProducerIdRequest,
      { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 },
      IP.decodeInitProducerIdResponse,
    );
    const second = await wire.call(
      22,
      4,
      IP.encodeInitProducerIdRequest,
      { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 },
      IP.decodeInitProducerIdResponse,
    );
    expect([first.errorCode, first.producerEpoch, second.errorCode]).toEqual([0, 0, 0]);
    expect(second.producerId).toBeGreaterThan(first.producerId);
    const bump = {
      transactionalId: null,
      transactionTimeoutMs: 60_000,
      producerId: first.producerId,
      producerEpoch: 0,
    };
    expect(
      await wire.call(22, 4, IP.encodeInitProducerIdRequest, bump, IP.decodeInitProducerIdResponse),
    ).toMatchObject({ errorCode: 0, producerId: first.producerId, producerEpoch: 1 });
    const bump2 = { ...bump, producerEpoch: 1 };
    await wire.call(22, 4, IP.encodeInitProducerIdRequest, bump2, IP.decodeInitProducerIdResponse);
    const fencedV4 = await wire.call(
      22,
      4,
      IP.encodeInitProducerIdRequest,
      bump,
      IP.decodeInitProducerIdResponse,
    );
    const fencedV3 = await wire.call(
      22,
      3,
      IP.encodeInitProducerIdRequest,
      bump,
      IP.decodeInitProducerIdResponse,
    );
    expect([fencedV4.errorCode, fencedV3.errorCode]).toEqual([
      ErrorCode.PRODUCER_FENCED,
      ErrorCode.INVALID_PRODUCER_EPOCH,
    ]);
    const txn = await wire.call(
      22,
      4,
      IP.encodeInitProducerIdRequest,
      { ...bump, transactionalId: 'tx' },
      IP.decodeInitProducerIdResponse,
    );
    expect(txn).toMatchObject({ errorCode: 53, producerId: -1 });
  });
});
