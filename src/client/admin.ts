/**
 * Admin operations: topics (create, delete, list, describe), offsets, groups and group lag.
 *
 * Topic changes go to the controller named in the metadata; group questions go to each group's
 * coordinator; ListGroups asks every broker (each knows only the groups it coordinates).
 * Creating an existing topic is not an error here unless asked (`failIfExists`), so tools can
 * "ensure" topics.
 */
import {
  CreateTopicsApi,
  decodeCreateTopicsResponse,
  encodeCreateTopicsRequest,
} from '../protocol/apis/create-topics.js';
import {
  DeleteTopicsApi,
  decodeDeleteTopicsResponse,
  encodeDeleteTopicsRequest,
} from '../protocol/apis/delete-topics.js';
import {
  DescribeGroupsApi,
  decodeDescribeGroupsResponse,
  encodeDescribeGroupsRequest,
} from '../protocol/apis/describe-groups.js';
import {
  decodeListGroupsResponse,
  encodeListGroupsRequest,
  ListGroupsApi,
} from '../protocol/apis/list-groups.js';
import {
  type ConsumerAssignment,
  type ConsumerSubscription,
  decodeConsumerAssignment,
  decodeConsumerSubscription,
} from '../protocol/consumer-protocol.js';
import { ErrorCode } from '../protocol/errors.js';
import { Cluster, type ClusterOptions, type TopicMetadata } from './cluster.js';
import type { Connection } from './connection.js';
import { BrokerError } from './errors.js';
import {
  type CommittedOffset,
  fetchCommitted,
  findCoordinator,
  listOffsets,
  type OffsetSpec,
  type TopicPartitionOffset,
} from './offsets.js';

export interface NewTopic {
  topic: string;
  /** Default: the count given to createTopics, else the broker's default. */
  partitions?: number;
  replicationFactor?: number;
  configs?: Record<string, string>;
}

export interface TopicResult {
  topic: string;
  /** 0, or the Kafka error code (TOPIC_ALREADY_EXISTS is reported, not thrown, unless failIfExists). */
  errorCode: number;
  errorMessage: string | null;
}

export interface GroupMemberDescription {
  memberId: string;
  clientId: string;
  clientHost: string;
  /** Decoded when the group uses the consumer protocol, else null. */
  subscription: ConsumerSubscription | null;
  assignment: ConsumerAssignment | null;
}

export interface GroupDescription {
  groupId: string;
  state: string;
  protocolType: string;
  protocol: string;
  members: GroupMemberDescription[];
}

export interface PartitionLag {
  topic: string;
  partition: number;
  /** -1 when the group has not committed for the partition. */
  committed: number;
  logEnd: number;
  /** logEnd - committed, or logEnd - logStart when nothing is committed. */
  lag: number;
}

export interface GroupLag {
  groupId: string;
  partitions: PartitionLag[];
  total: number;
}

export class Admin {
  readonly cluster: Cluster;

  constructor(opts: ClusterOptions) {
    this.cluster = new Cluster({ ...opts, allowAutoTopicCreation: opts.allowAutoTopicCreation ?? false });
  }

  async connect(): Promise<void> {
    await this.cluster.connect();
  }

  private async controller(): Promise<Connection> {
    if (this.cluster.controllerId < 0) await this.cluster.refreshMetadata();
    const id = this.cluster.controllerId;
    return id >= 0 && this.cluster.broker(id) ? this.cluster.connectionTo(id) : this.cluster.anyConnection();
  }

  /** Creates topics; resolves with one result per topic, throwing on errors other than "exists". */
  async createTopics(
    topics: readonly (string | NewTopic)[],
    partitions = -1,
    opts: { timeoutMs?: number; validateOnly?: boolean; failIfExists?: boolean } = {},
  ): Promise<TopicResult[]> {
    const list = topics.map((t) => (typeof t === 'string' ? { topic: t } : t));
    const conn = await this.controller();
    const res = await conn.request(
      CreateTopicsApi,
      (w, v) =>
        encodeCreateTopicsRequest(w, v, {
          topics: list.map((t) => ({
            name: t.topic,
            numPartitions: t.partitions ?? partitions,
            replicationFactor: t.replicationFactor ?? -1,
            assignments: [],
            configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
          })),
          timeoutMs: opts.timeoutMs ?? 30_000,
          validateOnly: opts.validateOnly ?? false,
        }),
      decodeCreateTopicsResponse,
      (opts.timeoutMs ?? 30_000) + 5000,
    );
    const results = res.topics.map((t) => ({
      topic: t.name,
      errorCode: t.errorCode,
      errorMessage: t.errorMessage,
    }));
    for (const r of results) {
      const exists = r.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS;
      if (r.errorCode !== ErrorCode.NONE && (!exists || opts.failIfExists)) {
        throw new BrokerError(r.errorCode, `creating topic ${r.topic}`, r.errorMessage);
      }
    }
    // New topics need leaders before they can be produced to; wait until the metadata says so.
    if (!opts.validateOnly) await this.cluster.ensureTopics(list.map((t) => t.topic));
    return results;
  }

  async deleteTopics(topics: readonly string[], timeoutMs = 30_000): Promise<void> {
    const conn = await this.controller();
    const res = await conn.request(
      DeleteTopicsApi,
      (w, v) =>
        encodeDeleteTopicsRequest(w, v, {
          topics: topics.map((name) => ({ name, topicId: null })),
          topicNames: [...topics],
          timeoutMs,
        }),
      decodeDeleteTopicsResponse,
      timeoutMs + 5000,
    );
    for (const r of res.responses) {
      if (r.errorCode !== ErrorCode.NONE)
        throw new BrokerError(r.errorCode, `deleting topic ${r.name}`, r.errorMessage);
    }
    for (const t of topics) this.cluster.invalidate(t);
  }

  /** Names of the cluster's topics (internal ones left out). */
  async listTopics(): Promise<string[]> {
    const res = await this.cluster.fetchAllTopics();
    return res.topics
      .filter((t) => t.errorCode === ErrorCode.NONE && !t.isInternal)
      .map((t) => t.name)
      .sort();
  }

  /** Metadata of the given topics (all when omitted). */
  async describeTopics(topics?: readonly string[]): Promise<TopicMetadata[]> {
    if (!topics) {
      await this.cluster.fetchAllTopics();
      return this.cluster.knownTopics().sort((a, b) => (a.name < b.name ? -1 : 1));
    }
    return this.cluster.ensureTopics(topics, 1000);
  }

  /** Per partition of a topic: the offset for the spec (earliest, latest = log end, or a timestamp). */
  async listOffsets(topic: string, spec: OffsetSpec = 'latest'): Promise<TopicPartitionOffset[]> {
    const [meta] = await this.cluster.ensureTopics([topic]);
    return listOffsets(
      this.cluster,
      meta.partitions.map((p) => ({ topic, partition: p.partition })),
      spec,
    );
  }

  async listGroups(): Promise<{ groupId: string; protocolType: string; state: string }[]> {
    await this.cluster.refreshMetadata();
    const out = new Map<string, { groupId: string; protocolType: string; state: string }>();
    for (const b of this.cluster.brokerList()) {
      const conn = await this.cluster.connectionTo(b.nodeId);
      const res = await conn.request(
        ListGroupsApi,
        (w, v) => encodeListGroupsRequest(w, v, { statesFilter: [] }),
        decodeListGroupsResponse,
      );
      if (res.errorCode !== ErrorCode.NONE) throw new BrokerError(res.errorCode, 'ListGroups');
      for (const g of res.groups)
        out.set(g.groupId, { groupId: g.groupId, protocolType: g.protocolType, state: g.groupState });
    }
    return [...out.values()].sort((a, b) => (a.groupId < b.groupId ? -1 : 1));
  }

  async describeGroups(groupIds: readonly string[]): Promise<GroupDescription[]> {
    const out: GroupDescription[] = [];
    for (const groupId of groupIds) {
      const conn = await findCoordinator(this.cluster, groupId);
      const res = await conn.request(
        DescribeGroupsApi,
        (w, v) =>
          encodeDescribeGroupsRequest(w, v, { groups: [groupId], includeAuthorizedOperations: false }),
        decodeDescribeGroupsResponse,
      );
      for (const g of res.groups) {
        if (g.errorCode !== ErrorCode.NONE) throw new BrokerError(g.errorCode, `DescribeGroups ${g.groupId}`);
        const consumer = g.protocolType === 'consumer';
        out.push({
          groupId: g.groupId,
          state: g.groupState,
          protocolType: g.protocolType,
          protocol: g.protocolData,
          members: g.members.map((m) => ({
            memberId: m.memberId,
            clientId: m.clientId,
            clientHost: m.clientHost,
            subscription: consumer ? tryDecode(() => decodeConsumerSubscription(m.memberMetadata)) : null,
            assignment: consumer ? tryDecode(() => decodeConsumerAssignment(m.memberAssignment)) : null,
          })),
        });
      }
    }
    return out;
  }

  /** Committed offsets of a group: for the given topics' partitions, or all it has committed. */
  async fetchCommittedOffsets(groupId: string, topics?: readonly string[]): Promise<CommittedOffset[]> {
    const conn = await findCoordinator(this.cluster, groupId);
    if (!topics) return fetchCommitted(conn, groupId, null);
    const metas = await this.cluster.ensureTopics(topics);
    return fetchCommitted(
      conn,
      groupId,
      metas.map((m) => ({ topic: m.name, partitions: m.partitions.map((p) => p.partition) })),
    );
  }

  /**
   * Lag per partition: log end minus committed offset. Partitions of `topics` (default: those the
   * group has committed to) without a commit count from the log start.
   */
  async groupLag(groupId: string, topics?: readonly string[]): Promise<GroupLag> {
    const committed = await this.fetchCommittedOffsets(groupId, topics);
    const tps = committed.map((c) => ({ topic: c.topic, partition: c.partition }));
    if (tps.length === 0) return { groupId, partitions: [], total: 0 };
    const [ends, starts] = await Promise.all([
      listOffsets(this.cluster, tps, 'latest'),
      listOffsets(this.cluster, tps, 'earliest'),
    ]);
    const partitions = committed
      .map((c, i) => ({
        topic: c.topic,
        partition: c.partition,
        committed: c.offset,
        logEnd: ends[i].offset,
        lag: Math.max(
          0,
          ends[i].offset - (c.offset >= 0 ? Math.max(c.offset, starts[i].offset) : starts[i].offset),
        ),
      }))
      .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
    return { groupId, partitions, total: partitions.reduce((sum, p) => sum + p.lag, 0) };
  }

  async close(): Promise<void> {
    await this.cluster.close();
  }
}

function tryDecode<T>(f: () => T): T | null {
  try {
    return f();
  } catch {
    return null;
  }
}
