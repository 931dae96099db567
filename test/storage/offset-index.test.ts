import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OffsetIndex } from '../../src/storage/offset-index.js';
import { TimeIndex } from '../../src/storage/time-index.js';

describe('OffsetIndex', () => {
  it('finds the floor entry', () => {
    const idx = new OffsetIndex(1000);
    expect(idx.floor(5000)).toBe(-1);
    idx.append(1000, 0);
    idx.append(1010, 4096);
    idx.append(1025, 8200);
    expect(idx.floor(999)).toBe(-1);
    expect(idx.floor(1000)).toBe(0);
    expect(idx.floor(1024)).toBe(1);
    expect(idx.positionAt(idx.floor(1024))).toBe(4096);
    expect(idx.offsetAt(idx.floor(99999))).toBe(1025);
  });

  it('floor agrees with a linear search (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 1000 }), { maxLength: 300 }),
        fc.integer({ min: 0, max: 400_000 }),
        (gaps, target) => {
          const idx = new OffsetIndex(0);
          let offset = 0;
          const offsets: number[] = [];
          for (const g of gaps) {
            offset += g;
            offsets.push(offset);
            idx.append(offset, offset * 10);
          }
          let expected = -1;
          for (let i = 0; i < offsets.length; i++) if (offsets[i] <= target) expected = i;
          expect(idx.floor(target)).toBe(expected);
        },
      ),
    );
  });

  it('round-trips through its file bytes and grows past its initial capacity', () => {
    const idx = new OffsetIndex(7);
    for (let i = 0; i < 1000; i++) idx.append(7 + i * 3, i * 100);
    const loaded = OffsetIndex.fromBytes(7, idx.encode(0, idx.entries), 1_000_000);
    expect(loaded).toBeInstanceOf(OffsetIndex);
    const l = loaded as OffsetIndex;
    expect(l.entries).toBe(1000);
    expect(l.persisted).toBe(1000);
    expect(l.positionAt(l.floor(7 + 500 * 3 + 1))).toBe(50_000);
  });

  it('sanity check refuses files that do not fit the log', () => {
    const idx = new OffsetIndex(0);
    idx.append(0, 0);
    idx.append(10, 500);
    const bytes = idx.encode(0, 2);
    expect(OffsetIndex.fromBytes(0, bytes.subarray(0, 12), 1000)).toMatch(/whole number/);
    expect(OffsetIndex.fromBytes(0, bytes, 400)).toMatch(/past the log/);
    const swapped = Buffer.concat([bytes.subarray(8), bytes.subarray(0, 8)]);
    expect(OffsetIndex.fromBytes(0, swapped, 1000)).toMatch(/does not follow/);
  });
});

describe('TimeIndex', () => {
  it('only indexes growing timestamps and finds the floor', () => {
    const idx = new TimeIndex(100);
    idx.maybeAppend(-1, 100);
    expect(idx.entries).toBe(0);
    idx.maybeAppend(50, 100);
    idx.maybeAppend(40, 105);
    idx.maybeAppend(50, 106);
    idx.maybeAppend(80, 110);
    expect(idx.entries).toBe(2);
    expect(idx.floor(49)).toBe(-1);
    expect(idx.offsetAt(idx.floor(79))).toBe(100);
    expect(idx.offsetAt(idx.floor(80))).toBe(110);
    expect(idx.lastTimestamp).toBe(80);
    expect(idx.lastOffset).toBe(110);
  });

  it('round-trips 64-bit timestamps and refuses malformed files', () => {
    const idx = new TimeIndex(0);
    idx.maybeAppend(1_700_000_000_123, 3);
    idx.maybeAppend(2 ** 52 + 1, 9);
    const bytes = idx.encode(0, 2);
    const loaded = TimeIndex.fromBytes(0, bytes) as TimeIndex;
    expect(loaded.timestampAt(0)).toBe(1_700_000_000_123);
    expect(loaded.timestampAt(1)).toBe(2 ** 52 + 1);
    expect(loaded.offsetAt(1)).toBe(9);
    expect(TimeIndex.fromBytes(0, bytes.subarray(0, 13))).toMatch(/whole number/);
    expect(TimeIndex.fromBytes(0, Buffer.concat([bytes.subarray(12), bytes.subarray(0, 12)]))).toMatch(
      /does not follow/,
    );
  });
});
