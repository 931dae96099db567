/**
 * Lag of a group on a topic, per partition: log end − committed offset (from the log start when
 * nothing is committed), as `kafka-consumer-groups --describe` shows it.
 *
 * The "effective committed" offset of a partition is end − lag: the committed offset, or the log
 * start when there is none. Progress of a drain is measured against the backlog present when it
 * started: partition p counts as drained up to min(effective committed now, end at start), so
 * messages that arrive meanwhile neither help nor hide it.
 */
import type { AdminDriver, PartitionLag } from '../../drivers/driver.js';
import { nowMicros } from '../../metrics/clock.js';

export interface LagSnapshot {
  /** µs on the clock of metrics/clock.ts. */
  atMicros: number;
  partitions: PartitionLag[];
  /** Σ lag. */
  total: number;
  /** Σ log end offsets: how many messages were ever written (arrival is its growth). */
  endSum: number;
}

export async function readLag(admin: AdminDriver, group: string, topic: string): Promise<LagSnapshot> {
  const partitions = await admin.lag(group, topic);
  return snapshotOf(partitions, nowMicros());
}

export function snapshotOf(partitions: PartitionLag[], atMicros: number): LagSnapshot {
  return {
    atMicros,
    partitions,
    total: partitions.reduce((a, p) => a + p.lag, 0),
    endSum: partitions.reduce((a, p) => a + p.endOffset, 0),
  };
}

export function effectiveCommitted(p: PartitionLag): number {
  return p.endOffset - p.lag;
}

/** Messages of the starting backlog drained so far (per partition, clamped to its start lag). */
export function drainedOfStart(start: LagSnapshot, now: LagSnapshot): number {
  const byPartition = new Map(now.partitions.map((p) => [p.partition, p]));
  let drained = 0;
  for (const s of start.partitions) {
    const n = byPartition.get(s.partition);
    if (!n) continue;
    const moved = effectiveCommitted(n) - effectiveCommitted(s);
    drained += Math.max(0, Math.min(moved, s.lag));
  }
  return drained;
}

/** Fraction of the starting backlog drained (1 when there was none). */
export function drainedFraction(start: LagSnapshot, now: LagSnapshot): number {
  return start.total === 0 ? 1 : drainedOfStart(start, now) / start.total;
}

/**
 * Lag per partition as the live view shows it: committed offsets trail processing by up to a
 * commit interval, so a partition's remaining lag counts from the furthest of its committed
 * offset and what the consumers report as handled.
 */
export function liveLag(now: LagSnapshot, handled: ReadonlyMap<number, number>): PartitionLag[] {
  return now.partitions.map((p) => {
    const from = Math.max(effectiveCommitted(p), handled.get(p.partition) ?? -1);
    return { ...p, lag: Math.max(0, p.endOffset - from) };
  });
}
