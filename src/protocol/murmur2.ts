/**
 * Kafka's key partitioner: murmur2 (32-bit, seed 0x9747b28c) over the key bytes, made positive by
 * masking the sign bit, modulo the partition count. The Java client (`Utils.murmur2`,
 * `Utils.toPositive`, the default partitioner for keyed records), librdkafka's `murmur2`
 * partitioner and kafkajs's DefaultPartitioner all agree on this, so a key lands on the same
 * partition whichever client produced it.
 *
 * Arithmetic is Java int arithmetic: Math.imul for the 32-bit multiply, `>>>` for the unsigned
 * shifts, `| 0` to stay signed.
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const R = 24;

/** Signed 32-bit murmur2 hash, identical to Java's `Utils.murmur2(byte[])`. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = (SEED ^ length) | 0;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = data[i4] | (data[i4 + 1] << 8) | (data[i4 + 2] << 16) | (data[i4 + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> R;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }
  // The last 1-3 bytes, mixed in as the reference algorithm's fall-through switch does.
  const tail = length & ~3;
  const rest = length & 3;
  if (rest > 0) {
    if (rest === 3) h ^= data[tail + 2] << 16;
    if (rest >= 2) h ^= data[tail + 1] << 8;
    h ^= data[tail];
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Java's `Utils.toPositive`: clears the sign bit (not Math.abs, which differs for MIN_VALUE). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/** The partition a keyed record goes to, as every Kafka client computes it. */
export function partitionForKey(key: Uint8Array, numPartitions: number): number {
  if (!(numPartitions > 0)) throw new RangeError(`numPartitions must be positive, got ${numPartitions}`);
  return toPositive(murmur2(key)) % numPartitions;
}
