/**
 * `mq groups list|describe` as services. describe is the view of `kafka-consumer-groups
 * --describe`: the group's state and members, and per partition the committed offset, the log
 * end, the lag and the member that owns it.
 *
 * Partitions shown: every partition of the topics the group has committed to or its members are
 * assigned. A partition without a commit has `committed: null` and its lag counts from the log
 * start (everything still there is unread), so `totalLag` is what the group has left to read.
 */
import { ActionableError } from '../../cli/errors.js';
import type { Admin, GroupDescription } from '../../client/index.js';
import { withAdmin } from './session.js';

export interface GroupListing {
  groupId: string;
  state: string;
  /** "consumer" for Kafka consumer groups; "" for a group that only has committed offsets. */
  protocolType: string;
}

export interface GroupList {
  groups: GroupListing[];
}

export interface TopicAssignment {
  topic: string;
  partitions: number[];
}

export interface GroupMemberView {
  memberId: string;
  clientId: string;
  host: string;
  /** Empty while the group rebalances, or when the member uses another protocol than "consumer". */
  assignment: TopicAssignment[];
}

export interface GroupPartitionView {
  topic: string;
  partition: number;
  /** null when the group has not committed for the partition. */
  committed: number | null;
  logEnd: number;
  lag: number;
  /** The member assigned the partition, null when none is. */
  memberId: string | null;
  clientId: string | null;
  host: string | null;
}

export interface GroupView {
  groupId: string;
  /** Stable, PreparingRebalance, CompletingRebalance, Empty (offsets only). */
  state: string;
  protocolType: string;
  /** The assignor chosen ("range", "roundrobin", …); "" unless Stable. */
  protocol: string;
  members: GroupMemberView[];
  partitions: GroupPartitionView[];
  totalLag: number;
}

export async function listGroups(brokers: string): Promise<GroupList> {
  return withAdmin(brokers, async (admin) => ({ groups: await admin.listGroups() }));
}

export async function describeGroup(brokers: string, groupId: string): Promise<GroupView> {
  return withAdmin(brokers, async (admin) => {
    const [desc] = await admin.describeGroups([groupId]);
    const committed = (await admin.fetchCommittedOffsets(groupId)).filter((c) => c.offset >= 0);
    if ((!desc || desc.state === 'Dead') && committed.length === 0) {
      throw new ActionableError(
        `group ${groupId} does not exist: it has no members and no committed offsets (see the groups with \`mq groups list\`)`,
        1,
      );
    }
    const members = (desc?.members ?? []).map(memberView);
    return {
      groupId,
      state: desc?.state ?? 'Empty',
      protocolType: desc?.protocolType ?? '',
      protocol: desc?.protocol ?? '',
      members,
      ...(await partitionViews(admin, groupId, members, committed)),
    };
  });
}

function memberView(m: GroupDescription['members'][number]): GroupMemberView {
  return {
    memberId: m.memberId,
    clientId: m.clientId,
    host: m.clientHost,
    assignment: (m.assignment?.assignedPartitions ?? []).map((a) => ({
      topic: a.topic,
      partitions: [...a.partitions].sort((x, y) => x - y),
    })),
  };
}

async function partitionViews(
  admin: Admin,
  groupId: string,
  members: GroupMemberView[],
  committed: readonly { topic: string }[],
): Promise<{ partitions: GroupPartitionView[]; totalLag: number }> {
  const owner = new Map<string, GroupMemberView>();
  for (const m of members) {
    for (const a of m.assignment) for (const p of a.partitions) owner.set(`${a.topic}/${p}`, m);
  }
  const topics = new Set(committed.map((c) => c.topic));
  for (const m of members) for (const a of m.assignment) topics.add(a.topic);
  if (topics.size === 0) return { partitions: [], totalLag: 0 };
  const lag = await admin.groupLag(groupId, [...topics].sort());
  const partitions = lag.partitions.map((p) => {
    const m = owner.get(`${p.topic}/${p.partition}`);
    return {
      topic: p.topic,
      partition: p.partition,
      committed: p.committed >= 0 ? p.committed : null,
      logEnd: p.logEnd,
      lag: p.lag,
      memberId: m?.memberId ?? null,
      clientId: m?.clientId ?? null,
      host: m?.host ?? null,
    };
  });
  return { partitions, totalLag: lag.total };
}
