/**
 * Partition assignors run by the group leader, under the protocol names Kafka, librdkafka and
 * kafkajs use ("range", "roundrobin"), so a group mixing those clients with mq agrees on the
 * strategy and on the result.
 *
 * range (Kafka's RangeAssignor): per topic, the members subscribed to it sorted by member id;
 *   with n partitions and m members, member i gets a contiguous range of floor(n/m) partitions,
 *   and the first n % m members one more.
 * roundrobin (Kafka's RoundRobinAssignor): every subscribed topic-partition, topics sorted by name
 *   and partitions ascending, dealt in turn to the members sorted by id, skipping members not
 *   subscribed to the partition's topic.
 *
 * Both are pure: same input, same output, whoever runs them.
 */
import type { TopicPartitions } from '../protocol/consumer-protocol.js';

export interface AssignorMember {
  memberId: string;
  topics: readonly string[];
}

/** memberId -> what it gets; every member appears, possibly with nothing. */
export type GroupAssignment = Map<string, TopicPartitions[]>;

export interface Assignor {
  readonly name: string;
  /** partitionsPerTopic: topic -> partition count (topics missing from it are skipped). */
  assign(
    members: readonly AssignorMember[],
    partitionsPerTopic: ReadonlyMap<string, number>,
  ): GroupAssignment;
}

function byMemberId(a: AssignorMember, b: AssignorMember): number {
  return a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0;
}

/** Collects (member, topic, partition) triples into the wire shape, topics and partitions sorted. */
class AssignmentBuilder {
  private readonly byMember = new Map<string, Map<string, number[]>>();

  constructor(members: readonly AssignorMember[]) {
    for (const m of members) this.byMember.set(m.memberId, new Map());
  }

  add(memberId: string, topic: string, partition: number): void {
    const topics = this.byMember.get(memberId)!;
    let list = topics.get(topic);
    if (!list) {
      list = [];
      topics.set(topic, list);
    }
    list.push(partition);
  }

  build(): GroupAssignment {
    const out: GroupAssignment = new Map();
    for (const [memberId, topics] of this.byMember) {
      const list = [...topics.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([topic, partitions]) => ({ topic, partitions: partitions.sort((x, y) => x - y) }));
      out.set(memberId, list);
    }
    return out;
  }
}

export const rangeAssignor: Assignor = {
  name: 'range',
  assign(members, partitionsPerTopic) {
    const out = new AssignmentBuilder(members);
    const topics = new Set(members.flatMap((m) => m.topics));
    for (const topic of topics) {
      const n = partitionsPerTopic.get(topic);
      if (n === undefined) continue;
      const consumers = members.filter((m) => m.topics.includes(topic)).sort(byMemberId);
      const m = consumers.length;
      const per = Math.floor(n / m);
      const extra = n % m;
      for (let i = 0; i < m; i++) {
        const start = per * i + Math.min(i, extra);
        const length = per + (i < extra ? 1 : 0);
        for (let p = start; p < start + length; p++) out.add(consumers[i].memberId, topic, p);
      }
    }
    return out.build();
  },
};

export const roundRobinAssignor: Assignor = {
  name: 'roundrobin',
  assign(members, partitionsPerTopic) {
    const out = new AssignmentBuilder(members);
    const sorted = [...members].sort(byMemberId);
    if (sorted.length === 0) return out.build();
    const topics = [...new Set(members.flatMap((m) => m.topics))]
      .filter((t) => partitionsPerTopic.has(t))
      .sort();
    let next = 0;
    for (const topic of topics) {
      const n = partitionsPerTopic.get(topic)!;
      for (let p = 0; p < n; p++) {
        // Some member is subscribed to this topic (it came from a subscription), so this ends.
        while (!sorted[next].topics.includes(topic)) next = (next + 1) % sorted.length;
        out.add(sorted[next].memberId, topic, p);
        next = (next + 1) % sorted.length;
      }
    }
    return out.build();
  },
};

/**
 * kafkajs names its round-robin strategy "RoundRobinAssigner" and offers only that by default. The
 * same dealing under that name lets mq join a group of default kafkajs consumers: whichever member
 * leads, the others just take what SyncGroup hands them.
 */
export const kafkajsRoundRobinAssignor: Assignor = {
  name: 'RoundRobinAssigner',
  assign: (members, partitionsPerTopic) => roundRobinAssignor.assign(members, partitionsPerTopic),
};

export const ASSIGNORS: Readonly<Record<string, Assignor>> = {
  range: rangeAssignor,
  roundrobin: roundRobinAssignor,
  RoundRobinAssigner: kafkajsRoundRobinAssignor,
};

/** What a consumer offers unless told otherwise, in preference order. */
export const DEFAULT_ASSIGNORS: readonly string[] = ['range', 'roundrobin', 'RoundRobinAssigner'];
