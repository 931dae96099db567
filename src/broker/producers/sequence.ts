/**
 * Idempotent-producer sequence rules for one (producer id, partition), after Kafka's
 * ProducerStateEntry / ProducerAppendInfo.
 *
 * A producer numbers its records per partition from 0 (int32, wrapping to 0 after 2^31-1); a
 * batch carries its first sequence and covers recordCount sequences. The broker remembers the
 * last MAX_CACHED_BATCHES batches of each producer per partition, so a retried batch whose first
 * append succeeded (the ack was lost) is recognised and answered with its original offset
 * instead of being written twice.
 *
 * Invariants of an entry:
 * - `batches` are in append order, all of `epoch`, at most MAX_CACHED_BATCHES.
 * - A batch of a newer epoch replaces the entry (sequences restart at 0 with a new epoch).
 */

import { ErrorCode } from '../../protocol/errors.js';
import type { BatchHeader } from '../../protocol/record-batch.js';

export const MAX_CACHED_BATCHES = 5;
const INT32_MAX = 2147483647;

export interface CachedBatch {
  baseSequence: number;
  lastSequence: number;
  baseOffset: number;
  lastOffset: number;
}

export interface ProducerEntry {
  epoch: number;
  batches: CachedBatch[];
  /** Wall-clock ms of the last append, for expiring producers that went away. */
  lastAppendMs: number;
}

export type SequenceCheck =
  | { kind: 'append' }
  | { kind: 'duplicate'; baseOffset: number }
  | { kind: 'error'; code: number };

const APPEND: SequenceCheck = { kind: 'append' };

/** Sequence number after `seq`, wrapping like Kafka's DefaultRecordBatch.incrementSequence. */
export function nextSequence(seq: number): number {
  return seq === INT32_MAX ? 0 : seq + 1;
}

/** The last sequence a batch covers: baseSequence + lastOffsetDelta, wrapping past int32 max. */
export function lastSequenceOf(h: Pick<BatchHeader, 'baseSequence' | 'lastOffsetDelta'>): number {
  const last = h.baseSequence + h.lastOffsetDelta;
  return last > INT32_MAX ? last - INT32_MAX - 1 : last;
}

export function isIdempotent(h: Pick<BatchHeader, 'producerId'>): boolean {
  return h.producerId >= 0;
}

/**
 * Decides what to do with a batch, given what is known of its producer on this partition.
 * An unknown producer is accepted at any sequence, as Kafka >= 2.5 does: its state may have
 * expired or been lost with an unflushed log tail, and refusing it would break the producer
 * for good (UNKNOWN_PRODUCER_ID is fatal to several clients).
 */
export function checkSequence(entry: ProducerEntry | undefined, h: BatchHeader): SequenceCheck {
  if (!isIdempotent(h) || entry === undefined) return APPEND;
  if (h.producerEpoch < entry.epoch) return { kind: 'error', code: ErrorCode.INVALID_PRODUCER_EPOCH };
  if (h.producerEpoch > entry.epoch) {
    return h.baseSequence === 0 ? APPEND : { kind: 'error', code: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER };
  }
  const lastSequence = lastSequenceOf(h);
  const dup = entry.batches.find((b) => b.baseSequence === h.baseSequence && b.lastSequence === lastSequence);
  if (dup) return { kind: 'duplicate', baseOffset: dup.baseOffset };
  const last = entry.batches.at(-1);
  // No batch known for this epoch (state cut back to a shorter log): any sequence continues it.
  if (last === undefined || h.baseSequence === nextSequence(last.lastSequence)) return APPEND;
  return { kind: 'error', code: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER };
}

/** Records an appended batch; returns the (possibly new) entry. Older epochs are ignored. */
export function recordAppend(
  entry: ProducerEntry | undefined,
  h: BatchHeader,
  baseOffset: number,
  nowMs: number,
): ProducerEntry {
  const batch: CachedBatch = {
    baseSequence: h.baseSequence,
    lastSequence: lastSequenceOf(h),
    baseOffset,
    lastOffset: baseOffset + h.lastOffsetDelta,
  };
  if (entry === undefined || h.producerEpoch > entry.epoch) {
    return { epoch: h.producerEpoch, batches: [batch], lastAppendMs: nowMs };
  }
  if (h.producerEpoch < entry.epoch) return entry;
  entry.batches.push(batch);
  if (entry.batches.length > MAX_CACHED_BATCHES) entry.batches.shift();
  entry.lastAppendMs = nowMs;
  return entry;
}
