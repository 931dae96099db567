import { describe, expect, it } from 'vitest';
import {
  decodeStamp,
  encodeStamp,
  STAMP_SIZE,
  stampIntendedMicros,
  stampRun,
} from '../../../src/tools/stamp.js';

describe('message stamps', () => {
  it('round-trips producer id, sequence and intended send time', () => {
    const s = { producerId: 7, sequence: 2 ** 40 + 3, intendedMicros: 1_700_000_000_123_456.5 };
    const b = encodeStamp(s);
    expect(b.length).toBe(STAMP_SIZE);
    expect(decodeStamp(b)).toEqual(s);
    expect(stampIntendedMicros(b)).toBe(s.intendedMicros);
    // A plain Uint8Array view (not a Buffer) at an offset decodes the same.
    const padded = new Uint8Array(STAMP_SIZE + 3);
    padded.set(b, 3);
    expect(decodeStamp(padded.subarray(3))).toEqual(s);
    expect(stampIntendedMicros(padded.subarray(3))).toBe(s.intendedMicros);
  });

  it('stamps a run of consecutive messages in one block', () => {
    const run = stampRun(3, 10, 4, (i) => 1000 + i * 250);
    expect(run.map((b) => decodeStamp(b))).toEqual(
      [0, 1, 2, 3].map((i) => ({ producerId: 3, sequence: 10 + i, intendedMicros: 1000 + i * 250 })),
    );
  });

  it('refuses missing, textual and short values', () => {
    expect(decodeStamp(undefined)).toBeNull();
    expect(decodeStamp('hello')).toBeNull();
    expect(decodeStamp(Buffer.alloc(19))).toBeNull();
    expect(Number.isNaN(stampIntendedMicros(null))).toBe(true);
  });
});
