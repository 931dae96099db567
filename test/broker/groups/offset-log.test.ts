import { describe, expect, it } from 'vitest';
import {
  encodeOffsetRecords,
  type OffsetRecord,
  scanOffsetLog,
} from '../../../src/broker/groups/offset-log.js';

const rec = (partition: number, offset: number, metadata: string | null = null): OffsetRecord => ({
  group: 'g',
  topic: 'tópico',
  partition,
  offset,
  leaderEpoch: partition === 0 ? -1 : 7,
  metadata,
  commitTimestamp: 1_700_000_000_000 + offset,
});

describe('offsets log format', () => {
  it('round-trips records, including UTF-8 names, null and empty metadata, large offsets', () => {
    const records = [rec(0, 0, null), rec(1, 2 ** 40, ''), rec(2, 5, 'x'.repeat(4096))];
    const scan = scanOffsetLog(encodeOffsetRecords(records));
    expect(scan.invalidReason).toBeNull();
    expect(scan.records).toEqual(records);
  });

  it('round-trips a delete record (tombstone)', () => {
    const tombstone = { ...rec(3, -1), deleted: true };
    expect(scanOffsetLog(encodeOffsetRecords([rec(3, 1), tombstone])).records).toEqual([
      rec(3, 1),
      tombstone,
    ]);
  });

  it('stops at a torn record and reports how many bytes were valid', () => {
    const one = encodeOffsetRecords([rec(0, 1)]);
    const image = Buffer.concat([one, encodeOffsetRecords([rec(1, 2)])]);
    for (let cut = one.length + 1; cut < image.length; cut++) {
      const scan = scanOffsetLog(image.subarray(0, cut));
      expect(scan.records).toHaveLength(1);
      expect(scan.validBytes).toBe(one.length);
      expect(scan.invalidReason).not.toBeNull();
    }
  });

  it('stops at a record whose CRC does not match', () => {
    const image = encodeOffsetRecords([rec(0, 1), rec(1, 2), rec(2, 3)]);
    const oneLen = encodeOffsetRecords([rec(0, 1)]).length;
    image[oneLen + 20] ^= 0x01;
    const scan = scanOffsetLog(image);
    expect(scan.records.map((r) => r.partition)).toEqual([0]);
    expect(scan.invalidReason).toMatch(/crc mismatch/);
  });

  it('treats zeroed space (a preallocated or sparse tail) as invalid, not as records', () => {
    const image = Buffer.concat([encodeOffsetRecords([rec(0, 1)]), Buffer.alloc(64)]);
    const scan = scanOffsetLog(image);
    expect(scan.records).toHaveLength(1);
    expect(scan.invalidReason).toMatch(/length 0/);
  });
});
