/**
 * The one contract between mq's tools (bench, verify-loss, drain-backlog) and a message queue.
 *
 * A driver is made from a name and plain, serialisable options (so a worker thread can make its
 * own), and gives an admin, producers and consumers. What it can do is stated in `capabilities`;
 * a tool checks what it needs with `requireCapabilities` and refuses with a clear message rather
 * than silently doing less.
 *
 * Invariants every driver keeps:
 * - send() resolves only when every message of the call is acknowledged per `acks`, with each
 *   message's partition and offset in input order (offset -1 when unknown, e.g. acks = 0), and
 *   rejects when any is not; messages to one partition keep their relative order.
 * - A consumer delivers each partition's messages in offset order; start() resolves once it is
 *   assigned partitions and fetching, so messages produced after it are seen.
 * - Header values arrive as bytes (Uint8Array / Buffer); a tool's stamp (tools/stamp.ts)
 *   survives every driver unchanged.
 */

export type Acks = -1 | 0 | 1;

export interface DriverCapabilities {
  /** Idempotent producers (broker-side de-duplication of retries). */
  idempotence: boolean;
  /** Consumers that share a topic's partitions in a named group, with committed offsets. */
  consumerGroups: boolean;
  /** Compression codecs the producer can write, 'none' included. */
  compression: readonly string[];
  /** Topics have partitions that producers can address. */
  partitions: boolean;
  /** The producer batches and lingers on its own (batchSize / lingerMs mean something). */
  batching: boolean;
  /** acks levels the producer accepts. */
  acks: readonly Acks[];
  /** A limit on requests in flight per connection can be set. */
  maxInFlight: boolean;
  /** Consumer lag per partition is available from the admin. */
  lag: boolean;
  /**
   * Messages have offsets in their partition (receipts and deliveries carry them, lag counts
   * them). Without: offset -1 everywhere, and a message is known by its stamp alone.
   */
  offsets: boolean;
}

export interface DriverOptions {
  /** Bootstrap servers, "host:port[,host:port]". */
  brokers: string;
  clientId?: string;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
}

export interface ProducerSettings {
  acks?: Acks;
  /** Bytes per partition batch. */
  batchSize?: number;
  lingerMs?: number;
  compression?: string;
  idempotent?: boolean;
  /** Requests in flight per connection. */
  maxInFlight?: number;
}

export interface OutgoingMessage {
  key?: Uint8Array | string | null;
  value: Uint8Array | string | null;
  headers?: Readonly<Record<string, Uint8Array | string>>;
  /** Explicit partition; otherwise the driver's partitioner (key hash, or spread when unkeyed). */
  partition?: number;
}

/** Per message of a send() call, in input order. */
export interface SendReceipt {
  partitions: Int32Array;
  /** -1 where the offset is unknown. */
  offsets: Float64Array;
}

export interface ProducerDriver {
  /** Connects ahead of the first send (send connects by itself too). */
  connect(): Promise<void>;
  send(topic: string, messages: readonly OutgoingMessage[]): Promise<SendReceipt>;
  /** Resolves when everything sent so far is settled. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface MessageHeader {
  key: string;
  value: Uint8Array | null;
}

/** Shaped like the wire record, so a driver can hand over decoded records without copying. */
export interface IncomingMessage {
  /** Offset in the partition; -1 for a driver without offsets. */
  offset: number;
  /**
   * The engine says it delivered this message before (AMQP's redelivered flag), so it may come
   * outside queue order. Only drivers without offsets set it.
   */
  redelivered?: boolean;
  /** Record timestamp, ms since the epoch. */
  timestamp: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  /**
   * The value's length in bytes (-1 for null), when the driver knows it without making the value
   * (the mq driver's records are lazy views): read it with valueLength().
   */
  readonly valueSize?: number;
  /** In record order; a key may repeat. */
  headers: readonly MessageHeader[];
  /**
   * The first header with this key (undefined if none), where the driver can find it without
   * making every header (the mq driver's lazy records): use headerValue().
   */
  header?(key: string): Uint8Array | null | undefined;
}

/** Bytes of a message's value (0 for null), without materializing it where the driver allows. */
export function valueLength(m: IncomingMessage): number {
  const n = m.valueSize;
  return n === undefined ? (m.value?.length ?? 0) : Math.max(n, 0);
}

export interface IncomingBatch {
  topic: string;
  partition: number;
  /** In offset order; at least one. */
  messages: readonly IncomingMessage[];
  /** The partition's end offset when fetched, -1 when unknown. */
  highWatermark: number;
  /**
   * Entries taken over from a group member that read them and never acknowledged them (it died):
   * Redis Streams' XCLAIM. They come outside the partition's offset order, after later entries
   * this consumer already had; a checker reads them as a stream of their own.
   */
  claimed?: boolean;
}

/** The first value of header `key`, or undefined. */
export function headerValue(m: IncomingMessage, key: string): Uint8Array | null | undefined {
  if (m.header !== undefined) return m.header(key);
  const hs = m.headers;
  for (let i = 0; i < hs.length; i++) if (hs[i].key === key) return hs[i].value;
  return undefined;
}

export interface ConsumerSettings {
  topic: string;
  /** Consumer group; without one the consumer reads every partition itself. */
  group?: string;
  /** Where to start when there is no committed offset: the earliest message, else the end. */
  fromBeginning: boolean;
  /** Commit consumed offsets in the background (groups only; default true). */
  autoCommit?: boolean;
}

export interface ConsumerDriver {
  /**
   * Starts delivering batches to `onBatch` (awaited before the batch's offsets count as
   * consumed); resolves once partitions are assigned and fetching has begun. A failure of the
   * fetch loop after that goes to `onError` (and the consumer stops delivering).
   */
  start(
    onBatch: (batch: IncomingBatch) => void | Promise<void>,
    onError?: (err: Error) => void,
  ): Promise<void>;
  /** Commits the offsets consumed so far (groups only). */
  commit(): Promise<void>;
  close(): Promise<void>;
}

export interface PartitionLag {
  partition: number;
  /** Next offset to be written (the high watermark). */
  endOffset: number;
  /** The group's committed offset, -1 when none. */
  committed: number;
  /** endOffset − committed (or endOffset − earliest when nothing is committed). */
  lag: number;
}

export interface AdminDriver {
  /** Creates a topic; false when it already existed. */
  createTopic(name: string, partitions: number): Promise<boolean>;
  deleteTopic(name: string): Promise<void>;
  /** Partition count, or null when the topic does not exist. */
  partitionCount(name: string): Promise<number | null>;
  lag(group: string, topic: string): Promise<PartitionLag[]>;
}

export interface Driver {
  readonly name: string;
  readonly capabilities: DriverCapabilities;
  readonly admin: AdminDriver;
  createProducer(settings?: ProducerSettings): ProducerDriver;
  createConsumer(settings: ConsumerSettings): ConsumerDriver;
  /** Closes the admin connection (producers and consumers are closed by their owners). */
  close(): Promise<void>;
}

/** What a tool asks of a driver; `requireCapabilities` turns a shortfall into a clear refusal. */
export interface CapabilityNeeds {
  idempotence?: boolean;
  consumerGroups?: boolean;
  compression?: string;
  batching?: boolean;
  acks?: Acks;
  maxInFlight?: boolean;
  lag?: boolean;
}

/** A driver cannot do what was asked of it: the user picks another driver or drops the option. */
export class DriverCapabilityError extends Error {
  override name = 'DriverCapabilityError';
}

export function missingCapabilities(
  driver: Pick<Driver, 'name' | 'capabilities'>,
  needs: CapabilityNeeds,
): string[] {
  const c = driver.capabilities;
  const out: string[] = [];
  if (needs.idempotence && !c.idempotence) out.push('idempotent producers');
  if (needs.consumerGroups && !c.consumerGroups) out.push('consumer groups');
  if (needs.compression && !c.compression.includes(needs.compression)) {
    out.push(`compression ${needs.compression} (it has: ${c.compression.join(', ')})`);
  }
  if (needs.batching && !c.batching) out.push('producer batching (batch size / linger)');
  if (needs.acks !== undefined && !c.acks.includes(needs.acks)) {
    out.push(`acks=${needs.acks} (it has: ${c.acks.join(', ')})`);
  }
  if (needs.maxInFlight && !c.maxInFlight) out.push('a limit on requests in flight');
  if (needs.lag && !c.lag) out.push('consumer lag');
  return out;
}

export function requireCapabilities(
  driver: Pick<Driver, 'name' | 'capabilities'>,
  needs: CapabilityNeeds,
  what: string,
): void {
  const missing = missingCapabilities(driver, needs);
  if (missing.length > 0) {
    throw new DriverCapabilityError(
      `${what} needs ${missing.join('; ')}, which driver "${driver.name}" does not support; drop the option or pick another --driver`,
    );
  }
}
