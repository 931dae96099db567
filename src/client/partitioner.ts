/**
 * Which partition a record goes to when the caller does not say.
 *
 * - A key: murmur2 of the key bytes (Kafka's rule, shared by the Java client, librdkafka's
 *   murmur2 partitioner and kafkajs's DefaultPartitioner), so a key lands on the same partition
 *   whichever client produced it.
 * - No key, 'sticky' (KIP-480, the Java default): stay on one partition while the batch being
 *   filled there is open, then pick another at random; records without keys fill whole batches.
 * - No key, 'roundrobin': the next partition in turn (what kafkajs does).
 */
import { partitionForKey } from '../protocol/murmur2.js';
import type { Bytes } from './batch-builder.js';

export type PartitionerKind = 'sticky' | 'roundrobin';

export class Partitioner {
  private readonly sticky = new Map<string, { partition: number; batch: object | null }>();
  private readonly next = new Map<string, number>();

  constructor(
    readonly kind: PartitionerKind = 'sticky',
    private readonly random: () => number = Math.random,
  ) {}

  /**
   * The partition for a record with this key. `openBatch(p)` tells which batch partition p is
   * filling now (null if none), so the sticky choice can move on once that batch has left.
   */
  partition(
    topic: string,
    key: Bytes | null | undefined,
    numPartitions: number,
    openBatch: (p: number) => object | null,
  ): number {
    if (key !== null && key !== undefined) {
      return partitionForKey(typeof key === 'string' ? Buffer.from(key) : key, numPartitions);
    }
    if (this.kind === 'roundrobin') {
      const n = this.next.get(topic) ?? Math.floor(this.random() * numPartitions);
      this.next.set(topic, (n + 1) % numPartitions);
      return n % numPartitions;
    }
    const s = this.sticky.get(topic);
    if (s && s.partition < numPartitions && s.batch !== null && openBatch(s.partition) === s.batch)
      return s.partition;
    let p = Math.floor(this.random() * numPartitions);
    if (s && numPartitions > 1 && p === s.partition) p = (p + 1) % numPartitions;
    this.sticky.set(topic, { partition: p, batch: null });
    return p;
  }

  /** Reports the batch a keyless record went into, which the sticky choice then follows. */
  appended(topic: string, partition: number, batch: object): void {
    const s = this.sticky.get(topic);
    if (s && s.partition === partition) s.batch = batch;
  }
}
