/** Batch headers for producer-state tests: only the fields the sequence rules read matter. */
import type { BatchHeader } from '../../src/protocol/record-batch.js';

export function header(
  producerId: number,
  producerEpoch: number,
  baseSequence: number,
  recordCount = 1,
): BatchHeader {
  return {
    baseOffset: 0,
    batchLength: 0,
    partitionLeaderEpoch: 0,
    magic: 2,
    crc: 0,
    attributes: 0,
    lastOffsetDelta: recordCount - 1,
    baseTimestamp: 0,
    maxTimestamp: 0,
    producerId,
    producerEpoch,
    baseSequence,
    recordCount,
  };
}
