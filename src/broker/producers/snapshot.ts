/**
 * The producer-state snapshot: `<data-dir>/producers/producer-state.snapshot`, a checksummed
 * JSON document (checksummed-json.ts) replaced atomically on close and periodically.
 *
 *   { version: 1,
 *     clean: true only when written by close(): nothing was appended after it,
 *     producers: [[producerId, epoch, prevEpoch, lastSeenMs], ...]      (InitProducerId state)
 *     partitions: [{ topic, partition, coveredOffset,                   (log offsets it reflects)
 *                    entries: [[producerId, epoch, lastAppendMs,
 *                               [[baseSeq, lastSeq, baseOffset, lastOffset], ...]], ...] }] }
 *
 * `coveredOffset` is the offset up to which the partition's log was seen when the snapshot was
 * written; batches at or after it must be replayed from the log (rebuildFrom) after an
 * unclean stop.
 */
import type { ProducerEntry } from './sequence.js';

export const SNAPSHOT_FILE = 'producer-state.snapshot';

export interface ProducerRecord {
  epoch: number;
  /** The epoch a bump came from, so a retried InitProducerId gets the same answer. */
  prevEpoch: number;
  lastSeenMs: number;
}

export interface PartitionProducers {
  topic: string;
  partition: number;
  coveredOffset: number;
  entries: Map<number, ProducerEntry>;
  /** Loaded from an unclean snapshot and not yet rebuilt from the log. */
  unverified: boolean;
}

type Batch = [number, number, number, number];
type Entry = [number, number, number, Batch[]];

interface SnapshotDoc {
  version: 1;
  clean: boolean;
  producers: [number, number, number, number][];
  partitions: { topic: string; partition: number; coveredOffset: number; entries: Entry[] }[];
}

export function encodeSnapshot(
  clean: boolean,
  producers: ReadonlyMap<number, ProducerRecord>,
  partitions: Iterable<PartitionProducers>,
): SnapshotDoc {
  return {
    version: 1,
    clean,
    producers: [...producers].map(([id, p]) => [id, p.epoch, p.prevEpoch, p.lastSeenMs]),
    partitions: [...partitions].map((p) => ({
      topic: p.topic,
      partition: p.partition,
      coveredOffset: p.coveredOffset,
      entries: [...p.entries].map(
        ([id, e]): Entry => [
          id,
          e.epoch,
          e.lastAppendMs,
          e.batches.map((b): Batch => [b.baseSequence, b.lastSequence, b.baseOffset, b.lastOffset]),
        ],
      ),
    })),
  };
}

export interface DecodedSnapshot {
  clean: boolean;
  producers: Map<number, ProducerRecord>;
  partitions: PartitionProducers[];
}

/** Throws on a document that does not have the expected shape. */
export function decodeSnapshot(doc: unknown): DecodedSnapshot {
  const d = doc as SnapshotDoc;
  if (d?.version !== 1 || !Array.isArray(d.producers) || !Array.isArray(d.partitions)) {
    throw new Error('not a version 1 producer-state snapshot');
  }
  return {
    clean: d.clean === true,
    producers: new Map(
      d.producers.map(([id, epoch, prevEpoch, lastSeenMs]) => [id, { epoch, prevEpoch, lastSeenMs }]),
    ),
    partitions: d.partitions.map((p) => ({
      topic: p.topic,
      partition: p.partition,
      coveredOffset: p.coveredOffset,
      unverified: d.clean !== true,
      entries: new Map(
        p.entries.map(([id, epoch, lastAppendMs, batches]) => [
          id,
          {
            epoch,
            lastAppendMs,
            batches: batches.map(([baseSequence, lastSequence, baseOffset, lastOffset]) => ({
              baseSequence,
              lastSequence,
              baseOffset,
              lastOffset,
            })),
          },
        ]),
      ),
    })),
  };
}
