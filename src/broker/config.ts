/**
 * Broker configuration: one typed object, validated once at start-up.
 */
import { defaultLogConfig, type LogConfig } from '../storage/index.js';

export interface BrokerConfig {
  dataDir: string;
  /** Address to bind. Loopback unless the user says otherwise. */
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Host clients are told to connect to (Metadata). Defaults to the bound host. */
  advertisedHost?: string;
  /** Port clients are told to connect to (a proxy in front, a NAT). Defaults to the bound port. */
  advertisedPort?: number;
  nodeId: number;
  clusterId: string;
  log: LogConfig;
  defaultPartitions: number;
  autoCreateTopics: boolean;
  /** Frames larger than this are refused before they are buffered. */
  maxRequestBytes: number;
  /**
   * Array elements one request may carry in all (topics, partitions, names...); past this it is
   * refused while decoding. A few bytes per element would otherwise cost hundreds in objects.
   */
  maxRequestElements: number;
  /**
   * Most record bytes one Fetch response carries, whatever the request asks (Kafka's
   * fetch.max.bytes): the broker reads them into memory, so a request must not size that alone.
   */
  fetchMaxBytes: number;
  maxConnections: number;
  /** Requests of one connection in progress at once; reading pauses past this. */
  maxInFlightPerConnection: number;
  /** Connections with no traffic for this long are closed (0 = never). */
  idleTimeoutMs: number;
  /** Upper bound for a topic's partition count. */
  maxPartitionsPerTopic: number;
}

export function defaultBrokerConfig(dataDir: string): BrokerConfig {
  return {
    dataDir,
    host: '127.0.0.1',
    port: 9092,
    nodeId: 0,
    clusterId: 'mq-local',
    log: defaultLogConfig(),
    defaultPartitions: 1,
    autoCreateTopics: true,
    maxRequestBytes: 100 * 1024 * 1024,
    maxRequestElements: 100_000,
    fetchMaxBytes: 57_671_680,
    maxConnections: 10_000,
    maxInFlightPerConnection: 128,
    idleTimeoutMs: 10 * 60_000,
    maxPartitionsPerTopic: 10_000,
  };
}

export class BrokerConfigError extends Error {
  override name = 'BrokerConfigError';
}

export function validateBrokerConfig(c: BrokerConfig): void {
  const positive = (name: string, v: number) => {
    if (!Number.isInteger(v) || v <= 0)
      throw new BrokerConfigError(`${name} must be a positive integer, got ${v}`);
  };
  if (!Number.isInteger(c.port) || c.port < 0 || c.port > 65535) {
    throw new BrokerConfigError(`port must be 0..65535, got ${c.port}`);
  }
  positive('default partitions', c.defaultPartitions);
  positive('max request bytes', c.maxRequestBytes);
  positive('max request elements', c.maxRequestElements);
  positive('fetch max bytes', c.fetchMaxBytes);
  positive('max connections', c.maxConnections);
  positive('max in-flight requests per connection', c.maxInFlightPerConnection);
  positive('segment bytes', c.log.segmentBytes);
  if (c.defaultPartitions > c.maxPartitionsPerTopic) {
    throw new BrokerConfigError(
      `default partitions ${c.defaultPartitions} exceeds ${c.maxPartitionsPerTopic}`,
    );
  }
}
