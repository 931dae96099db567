/**
 * The client's view of the cluster: bootstrap, metadata cache, one connection per broker and lane.
 *
 * A lane separates traffic that must not queue behind other traffic on one TCP connection:
 * responses come back in request order, so a Fetch long poll would hold up a heartbeat or a
 * commit sent behind it, and a JoinGroup waiting for a rebalance would hold up metadata. So the
 * consumer fetches on 'fetch', talks to its coordinator on 'group', the producer sends on
 * 'produce', and metadata and the rest use 'default'.
 *
 * Metadata is fetched for the topics the owner asked about (its interest set), on demand, every
 * metadataMaxAgeMs, and whenever a caller reports a stale-leader error (`invalidate`). Concurrent
 * refreshes share one request.
 */
import {
  decodeMetadataResponse,
  encodeMetadataRequest,
  MetadataApi,
  type MetadataResponse,
} from '../protocol/apis/metadata.js';
import { ErrorCode } from '../protocol/errors.js';
import { Connection, type ConnectionOptions } from './connection.js';
import { BrokerError, ClientClosedError, ConnectionError, KafkaClientError } from './errors.js';

export interface ClusterOptions {
  /** "host:port,host:port" or a list of "host:port". */
  bootstrap: string | readonly string[];
  clientId?: string;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Metadata older than this is refreshed in the background (default 5 min). */
  metadataMaxAgeMs?: number;
  /** Ask the broker to create topics named in metadata requests (default true, as Kafka clients do). */
  allowAutoTopicCreation?: boolean;
  maxVersions?: ConnectionOptions['maxVersions'];
}

export interface BrokerAddress {
  nodeId: number;
  host: string;
  port: number;
}

export interface PartitionMetadata {
  partition: number;
  leader: number;
  leaderEpoch: number;
  errorCode: number;
}

export interface TopicMetadata {
  name: string;
  errorCode: number;
  isInternal: boolean;
  partitions: PartitionMetadata[];
}

export type Lane = 'default' | 'fetch' | 'produce' | 'group';

export function parseBootstrap(bootstrap: string | readonly string[]): { host: string; port: number }[] {
  const list = typeof bootstrap === 'string' ? bootstrap.split(',') : bootstrap;
  const out = list
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const i = s.lastIndexOf(':');
      const host = i > 0 ? s.slice(0, i).replace(/^\[(.*)\]$/, '$1') : s;
      const port = i > 0 ? Number(s.slice(i + 1)) : 9092;
      if (!Number.isInteger(port) || port <= 0 || port > 65535) {
        throw new KafkaClientError('INVALID_ARGUMENT', `bad bootstrap address "${s}"`, false);
      }
      return { host, port };
    });
  if (out.length === 0) throw new KafkaClientError('INVALID_ARGUMENT', 'empty bootstrap list', false);
  return out;
}

export class Cluster {
  readonly clientId: string;
  private readonly bootstrap: { host: string; port: number }[];
  private readonly connOpts: Omit<ConnectionOptions, 'host' | 'port'>;
  private readonly allowAutoTopicCreation: boolean;
  private brokers = new Map<number, BrokerAddress>();
  private topics = new Map<string, TopicMetadata>();
  private interest = new Set<string>();
  private connections = new Map<string, Promise<Connection>>();
  private refreshing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  controllerId = -1;
  clusterId: string | null = null;

  constructor(opts: ClusterOptions) {
    this.bootstrap = parseBootstrap(opts.bootstrap);
    this.clientId = opts.clientId ?? 'mq';
    this.allowAutoTopicCreation = opts.allowAutoTopicCreation ?? true;
    this.connOpts = {
      clientId: this.clientId,
      connectTimeoutMs: opts.connectTimeoutMs,
      requestTimeoutMs: opts.requestTimeoutMs,
      maxVersions: opts.maxVersions,
    };
    const maxAge = opts.metadataMaxAgeMs ?? 300_000;
    this.timer = setInterval(() => {
      if (this.interest.size > 0) this.refreshMetadata().catch(() => {});
    }, maxAge);
    this.timer.unref();
  }

  /** Connects to a bootstrap broker and loads metadata for the given topics (none: brokers only). */
  async connect(topics: readonly string[] = []): Promise<void> {
    await this.refreshMetadata(topics);
  }

  topic(name: string): TopicMetadata | undefined {
    return this.topics.get(name);
  }

  knownTopics(): TopicMetadata[] {
    return [...this.topics.values()];
  }

  brokerList(): BrokerAddress[] {
    return [...this.brokers.values()];
  }

  broker(nodeId: number): BrokerAddress | undefined {
    return this.brokers.get(nodeId);
  }

  /** Leader node of a partition per the cached metadata, or -1 when unknown. */
  leaderFor(topic: string, partition: number): number {
    const p = this.topics.get(topic)?.partitions[partition];
    return p && p.errorCode === ErrorCode.NONE ? p.leader : -1;
  }

  /** Forgets a topic's metadata so the next lookup refreshes it (after NOT_LEADER and friends). */
  invalidate(topic: string): void {
    this.topics.delete(topic);
  }

  /**
   * Refreshes metadata for the interest set plus `topics` (which join it). Shares an in-flight
   * refresh when that one already covers what was asked.
   */
  async refreshMetadata(topics: readonly string[] = []): Promise<void> {
    if (this.closed) throw new ClientClosedError('cluster');
    let added = false;
    for (const t of topics) {
      if (!this.interest.has(t)) {
        this.interest.add(t);
        added = true;
      }
    }
    if (this.refreshing) {
      await this.refreshing.catch(() => {});
      if (!added) return;
    }
    if (this.refreshing) return this.refreshing;
    this.refreshing = this.fetchMetadata([...this.interest]).finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  /** Metadata for all topics in the cluster (admin listings); does not join the interest set. */
  async fetchAllTopics(): Promise<MetadataResponse> {
    const res = await this.metadataRequest(null);
    this.absorb(res);
    return res;
  }

  private async fetchMetadata(topics: string[]): Promise<void> {
    const res = await this.metadataRequest(topics);
    this.absorb(res);
  }

  private async metadataRequest(topics: string[] | null): Promise<MetadataResponse> {
    const conn = await this.anyConnection();
    return conn.request(
      MetadataApi,
      (w, v) =>
        encodeMetadataRequest(w, v, {
          topics: topics === null ? null : topics.map((name) => ({ name })),
          allowAutoTopicCreation: this.allowAutoTopicCreation,
          includeClusterAuthorizedOperations: false,
          includeTopicAuthorizedOperations: false,
        }),
      decodeMetadataResponse,
    );
  }

  private absorb(res: MetadataResponse): void {
    this.brokers = new Map(
      res.brokers.map((b) => [b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port }]),
    );
    this.controllerId = res.controllerId;
    this.clusterId = res.clusterId;
    for (const t of res.topics) {
      const partitions = t.partitions
        .map((p) => ({
          partition: p.partitionIndex,
          leader: p.leaderId,
          leaderEpoch: p.leaderEpoch,
          errorCode: p.errorCode,
        }))
        .sort((a, b) => a.partition - b.partition);
      if (t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) this.topics.delete(t.name);
      else
        this.topics.set(t.name, {
          name: t.name,
          errorCode: t.errorCode,
          isInternal: t.isInternal,
          partitions,
        });
    }
  }

  /**
   * Metadata for topics that must exist with leaders, retrying while the broker reports them as
   * not available yet (auto-creation in progress) until timeoutMs.
   */
  async ensureTopics(topics: readonly string[], timeoutMs = 10_000): Promise<TopicMetadata[]> {
    const deadline = Date.now() + timeoutMs;
    let backoff = 50;
    for (;;) {
      const missing = topics.filter((t) => !this.usable(t));
      if (missing.length === 0) return topics.map((t) => this.topics.get(t)!);
      await this.refreshMetadata(missing);
      const still = topics.filter((t) => !this.usable(t));
      if (still.length === 0) return topics.map((t) => this.topics.get(t)!);
      const t = this.topics.get(still[0]);
      const code = t ? t.errorCode : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      if (
        code !== ErrorCode.NONE &&
        code !== ErrorCode.LEADER_NOT_AVAILABLE &&
        code !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
      ) {
        throw new BrokerError(code, `topic ${still[0]}`);
      }
      if (Date.now() + backoff > deadline) throw new BrokerError(code, `topic ${still[0]}`);
      await sleep(backoff);
      backoff = Math.min(backoff * 2, 1000);
      for (const s of still) this.topics.delete(s);
    }
  }

  private usable(topic: string): boolean {
    const t = this.topics.get(topic);
    return (
      !!t &&
      t.errorCode === ErrorCode.NONE &&
      t.partitions.length > 0 &&
      t.partitions.every((p) => p.leader >= 0)
    );
  }

  /** A connection to the given broker on a lane, opened on first use and reopened after a close. */
  connectionTo(nodeId: number, lane: Lane = 'default'): Promise<Connection> {
    const b = this.brokers.get(nodeId);
    if (!b) return Promise.reject(new ConnectionError(`broker ${nodeId} is not in the metadata`));
    return this.connectionAt(b.host, b.port, lane);
  }

  /** A connection to a host:port on a lane (coordinators are named by address). */
  connectionAt(host: string, port: number, lane: Lane = 'default'): Promise<Connection> {
    if (this.closed) return Promise.reject(new ClientClosedError('cluster'));
    const key = `${host}:${port}/${lane}`;
    const existing = this.connections.get(key);
    if (existing) return existing;
    const p = Connection.connect({ ...this.connOpts, host, port });
    this.connections.set(key, p);
    p.then(
      (c) => {
        if (this.closed) c.close();
        c.onClose(() => {
          if (this.connections.get(key) === p) this.connections.delete(key);
        });
      },
      () => {
        if (this.connections.get(key) === p) this.connections.delete(key);
      },
    );
    return p;
  }

  /** Any live broker: a known one first, then the bootstrap list in order. */
  async anyConnection(): Promise<Connection> {
    const candidates = [...this.brokers.values(), ...this.bootstrap];
    let last: unknown = null;
    for (const c of candidates) {
      try {
        return await this.connectionAt(c.host, c.port);
      } catch (err) {
        last = err;
      }
    }
    throw new ConnectionError(
      `no broker reachable (tried ${candidates.map((c) => `${c.host}:${c.port}`).join(', ')})`,
      last,
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    const conns = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(
      conns.map((p) =>
        p.then(
          (c) => c.close(),
          () => {},
        ),
      ),
    );
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
