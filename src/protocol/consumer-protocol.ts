/**
 * The "consumer" embedded protocol: what Kafka consumers put inside JoinGroup protocol metadata
 * (a subscription) and SyncGroup assignments. Classic, non-flexible encoding, no tagged fields.
 *
 * ConsumerProtocolSubscription:
 *   version            int16
 *   topics             [string]
 *   user_data          nullable bytes
 *   owned_partitions   [topic string, partitions [int32]]   v1+
 *   (v2 generation_id int32, v3 rack_id nullable string: newer clients only; skipped)
 * ConsumerProtocolAssignment:
 *   version              int16
 *   assigned_partitions  [topic string, partitions [int32]]
 *   user_data            nullable bytes
 *
 * Later versions only append fields, so a newer version is read with the newest layout known here
 * and trailing bytes are ignored (as Kafka's own ConsumerProtocol does). mq writes v0 or v1.
 * An empty assignment buffer (a member given nothing, or an error answer) decodes as an empty v0
 * assignment. Decoded user_data is a view into the given buffer.
 */
import { MalformedFrameError, Reader } from './reader.js';
import { Writer } from './writer.js';

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

export interface ConsumerSubscription {
  version: number;
  topics: string[];
  userData: Buffer | null;
  /** v1+: what the member held before this rebalance (cooperative rebalancing). */
  ownedPartitions: TopicPartitions[];
}

export interface ConsumerAssignment {
  version: number;
  assignedPartitions: TopicPartitions[];
  userData: Buffer | null;
}

/** Highest version mq encodes. */
export const CONSUMER_PROTOCOL_VERSION = 1;

function readVersion(r: Reader): number {
  const version = r.int16();
  if (version < 0) throw new MalformedFrameError(`consumer protocol version ${version}`);
  return version;
}

function checkEncodable(version: number): void {
  if (!Number.isInteger(version) || version < 0 || version > CONSUMER_PROTOCOL_VERSION) {
    throw new RangeError(
      `consumer protocol version ${version} not supported (0-${CONSUMER_PROTOCOL_VERSION})`,
    );
  }
}

function readTopicPartitions(r: Reader): TopicPartitions[] {
  return r.array(false, (a) => ({ topic: a.string(), partitions: a.array(false, (p) => p.int32()) }));
}

function writeTopicPartitions(w: Writer, list: readonly TopicPartitions[]): void {
  w.array(list, false, (a, tp) => a.string(tp.topic).array(tp.partitions, false, (p, n) => p.int32(n)));
}

export function encodeConsumerSubscription(s: ConsumerSubscription): Buffer {
  checkEncodable(s.version);
  const w = new Writer();
  w.int16(s.version)
    .array(s.topics, false, (a, t) => a.string(t))
    .nullableBytes(s.userData);
  if (s.version >= 1) writeTopicPartitions(w, s.ownedPartitions);
  return w.toBuffer();
}

export function decodeConsumerSubscription(buf: Buffer): ConsumerSubscription {
  const r = new Reader(buf);
  const version = readVersion(r);
  const topics = r.array(false, (a) => a.string());
  const userData = r.nullableBytes();
  const ownedPartitions = version >= 1 ? readTopicPartitions(r) : [];
  return { version, topics, userData, ownedPartitions };
}

export function encodeConsumerAssignment(a: ConsumerAssignment): Buffer {
  checkEncodable(a.version);
  const w = new Writer();
  w.int16(a.version);
  writeTopicPartitions(w, a.assignedPartitions);
  w.nullableBytes(a.userData);
  return w.toBuffer();
}

export function decodeConsumerAssignment(buf: Buffer): ConsumerAssignment {
  if (buf.length === 0) return { version: 0, assignedPartitions: [], userData: null };
  const r = new Reader(buf);
  const version = readVersion(r);
  const assignedPartitions = readTopicPartitions(r);
  const userData = r.nullableBytes();
  return { version, assignedPartitions, userData };
}
