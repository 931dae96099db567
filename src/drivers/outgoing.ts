/**
 * What the RabbitMQ and Redis producers share about outgoing messages: bytes from the contract's
 * value types, and where a message goes — its explicit partition (checked), Kafka's murmur2
 * partition of its key, or round-robin per topic when it has neither, as the Kafka drivers do.
 */
import { partitionForKey } from '../protocol/murmur2.js';
import type { OutgoingMessage } from './driver.js';

/** A Buffer view of a value, key or header (empty for null). */
export const asBuffer = (v: Uint8Array | string | null | undefined): Buffer =>
  v === null || v === undefined
    ? Buffer.alloc(0)
    : typeof v === 'string'
      ? Buffer.from(v)
      : Buffer.isBuffer(v)
        ? v
        : Buffer.from(v.buffer, v.byteOffset, v.byteLength);

export class PartitionChooser {
  private readonly roundRobin = new Map<string, number>();

  choose(topic: string, m: OutgoingMessage, count: number): number {
    if (m.partition !== undefined) {
      if (m.partition < 0 || m.partition >= count) {
        throw new Error(`topic ${topic} has no partition ${m.partition} (it has ${count})`);
      }
      return m.partition;
    }
    if (m.key !== undefined && m.key !== null) return partitionForKey(asBuffer(m.key), count);
    const next = this.roundRobin.get(topic) ?? 0;
    this.roundRobin.set(topic, next + 1);
    return next % count;
  }
}
