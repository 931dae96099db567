import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkSequence,
  lastSequenceOf,
  MAX_CACHED_BATCHES,
  nextSequence,
  type ProducerEntry,
  recordAppend,
} from '../../src/broker/producers/sequence.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { header } from './producer-batches.js';

/** Appends batches of `sizes` records from sequence `start`; returns the entry and each batch's offset. */
function appendAll(sizes: number[], start = 0, epoch = 0): { entry: ProducerEntry; offsets: number[] } {
  let entry: ProducerEntry | undefined;
  let seq = start;
  let offset = 100;
  const offsets: number[] = [];
  for (const n of sizes) {
    const h = header(7, epoch, seq, n);
    expect(checkSequence(entry, h)).toEqual({ kind: 'append' });
    entry = recordAppend(entry, h, offset, 0);
    offsets.push(offset);
    offset += n;
    seq = nextSequence(lastSequenceOf(h));
  }
  return { entry: entry!, offsets };
}

describe('idempotent producer sequences', () => {
  it('appends non-idempotent batches and unknown producers at any sequence', () => {
    expect(checkSequence(undefined, header(-1, -1, -1))).toEqual({ kind: 'append' });
    expect(checkSequence(undefined, header(7, 0, 42))).toEqual({ kind: 'append' });
    const { entry } = appendAll([1]);
    expect(checkSequence(entry, header(-1, -1, 5))).toEqual({ kind: 'append' });
  });

  it('answers a retry of any of the last five batches with its original offset', () => {
    const { entry, offsets } = appendAll([1, 2, 3, 4, 5, 6]);
    // Batches (by first sequence): 0, 1, 3, 6, 10, 15; the first is no longer cached.
    const starts = [0, 1, 3, 6, 10, 15];
    const sizes = [1, 2, 3, 4, 5, 6];
    expect(entry.batches).toHaveLength(MAX_CACHED_BATCHES);
    for (let i = 1; i < 6; i++) {
      expect(checkSequence(entry, header(7, 0, starts[i], sizes[i]))).toEqual({
        kind: 'duplicate',
        baseOffset: offsets[i],
      });
    }
    expect(checkSequence(entry, header(7, 0, 0, 1))).toEqual({
      kind: 'error',
      code: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    });
    // Same start, different length: not the same batch.
    expect(checkSequence(entry, header(7, 0, 15, 2))).toMatchObject({ kind: 'error' });
  });

  it('refuses a gap or a step back with OUT_OF_ORDER_SEQUENCE_NUMBER', () => {
    const { entry } = appendAll([2, 2]);
    expect(checkSequence(entry, header(7, 0, 4, 1))).toEqual({ kind: 'append' });
    expect(checkSequence(entry, header(7, 0, 5, 1))).toEqual({
      kind: 'error',
      code: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    });
    expect(checkSequence(entry, header(7, 0, 3, 1))).toEqual({
      kind: 'error',
      code: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    });
  });

  it('fences an older epoch; a newer epoch must start at sequence 0', () => {
    const { entry } = appendAll([3], 0, 2);
    expect(checkSequence(entry, header(7, 1, 3, 1))).toEqual({
      kind: 'error',
      code: ErrorCode.INVALID_PRODUCER_EPOCH,
    });
    expect(checkSequence(entry, header(7, 3, 5, 1))).toEqual({
      kind: 'error',
      code: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    });
    expect(checkSequence(entry, header(7, 3, 0, 1))).toEqual({ kind: 'append' });
    const bumped = recordAppend(entry, header(7, 3, 0, 1), 500, 0);
    expect(bumped.epoch).toBe(3);
    expect(bumped.batches).toHaveLength(1);
    // An append of an older epoch (never accepted by check) does not disturb the entry.
    expect(recordAppend(bumped, header(7, 1, 9, 1), 600, 0).batches).toHaveLength(1);
  });

  it('wraps sequences past int32 max to 0', () => {
    const max = 2147483647;
    expect(lastSequenceOf({ baseSequence: max - 1, lastOffsetDelta: 3 })).toBe(1);
    expect(nextSequence(max)).toBe(0);
    const { entry } = appendAll([2], max - 1);
    expect(entry.batches[0].lastSequence).toBe(max);
    expect(checkSequence(entry, header(7, 0, 0, 1))).toEqual({ kind: 'append' });
    expect(checkSequence(entry, header(7, 0, max, 1))).toMatchObject({ kind: 'error' });
    const across = appendAll([3, 4], max - 3);
    expect(across.entry.batches[1]).toMatchObject({ baseSequence: max, lastSequence: 2 });
    expect(checkSequence(across.entry, header(7, 0, max, 4))).toEqual({ kind: 'duplicate', baseOffset: 103 });
    expect(checkSequence(across.entry, header(7, 0, 3, 1))).toEqual({ kind: 'append' });
  });

  it('property: in-order batches append, retries of the last five are duplicates with their offsets', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 0, max: 2147483647 }),
        fc.nat(),
        (sizes, start, pick) => {
          const { entry, offsets } = appendAll(sizes, start);
          const cached = Math.min(sizes.length, MAX_CACHED_BATCHES);
          const i = sizes.length - 1 - (pick % cached);
          let seq = start;
          for (let j = 0; j < i; j++)
            seq = nextSequence(lastSequenceOf({ baseSequence: seq, lastOffsetDelta: sizes[j] - 1 }));
          expect(checkSequence(entry, header(7, 0, seq, sizes[i]))).toEqual({
            kind: 'duplicate',
            baseOffset: offsets[i],
          });
        },
      ),
    );
  });
});
