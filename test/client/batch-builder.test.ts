import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { BatchBuilder, nextSequence, stamp } from '../../src/client/batch-builder.js';
import { readBatchHeader, validateBatch } from '../../src/protocol/record-batch.js';
import { decodeRecordBatch, encodeRecordBatch } from '../../src/protocol/records.js';

const require = createRequire(import.meta.url);
// kafkajs's own record batch decoder, as an independent reader of our bytes.
const KafkajsDecoder = require('kafkajs/src/protocol/decoder');
const decodeKafkajsBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (d: unknown) => Promise<{
  records: {
    key: Buffer | null;
    value: Buffer | null;
    headers: Record<string, Buffer>;
    offset: string;
    timestamp: string;
  }[];
  producerId: string;
  firstSequence: number;
}>;

const T0 = 1_700_000_000_000;

describe('BatchBuilder', () => {
  it('encodes the same bytes as the protocol encoder for the same records', () => {
    const records = [
      { key: Buffer.from('k1'), value: Buffer.from('v1'), timestamp: T0 },
      { key: null, value: Buffer.alloc(100, 7), timestamp: T0 + 5 },
      {
        key: Buffer.from('k3'),
        value: null,
        timestamp: T0 + 2,
        headers: [{ key: 'h', value: Buffer.from('x') }],
      },
    ];
    const b = new BatchBuilder(16_384, T0);
    for (const r of records) expect(b.tryAppend(r.key, r.value, r.timestamp, r.headers)).toBe(true);
    const ours = b.seal();
    const theirs = encodeRecordBatch({ records, baseTimestamp: T0 });
    expect(ours.equals(theirs)).toBe(true);
    expect(validateBatch(ours, 0, ours.length)).toBeNull();
  });

  it('takes strings, header objects and null values, and decodes back', () => {
    const b = new BatchBuilder(1024, T0);
    b.tryAppend('ключ', 'значение', undefined, { a: 'b', c: Buffer.from([1, 2]) });
    b.tryAppend(undefined, null, undefined);
    const d = decodeRecordBatch(b.seal());
    expect(d.records).toHaveLength(2);
    expect(d.records[0].key?.toString()).toBe('ключ');
    expect(d.records[0].value?.toString()).toBe('значение');
    expect(d.records[0].headers.map((h) => [h.key, h.value?.toString('hex')])).toEqual([
      ['a', Buffer.from('b').toString('hex')],
      ['c', '0102'],
    ]);
    expect(d.records[1].key).toBeNull();
    expect(d.records[1].value).toBeNull();
    expect(d.records.map((r) => r.offset)).toEqual([0, 1]);
  });

  it('measures non-ASCII text exactly and leaves out undefined header values', () => {
    const b = new BatchBuilder(1024, T0);
    const key = 'a😀é\ud800x'; // a surrogate pair, a 2-byte char, a lone surrogate (3 bytes as U+FFFD)
    b.tryAppend(key, 'ü'.repeat(40), undefined, { ключ: 'значение', skipped: undefined, empty: '' });
    const d = decodeRecordBatch(b.seal());
    expect(d.records[0].key?.toString()).toBe(Buffer.from(key).toString());
    expect(d.records[0].value?.toString()).toBe('ü'.repeat(40));
    expect(d.records[0].headers.map((h) => [h.key, h.value?.toString()])).toEqual([
      ['ключ', 'значение'],
      ['empty', ''],
    ]);
  });

  it('handles timestamps before the base and far from it (varlong)', () => {
    const b = new BatchBuilder(1024);
    b.tryAppend(null, 'a', T0);
    b.tryAppend(null, 'b', T0 - 10);
    b.tryAppend(null, 'c', T0 + 2 ** 40);
    const buf = b.seal();
    const d = decodeRecordBatch(buf);
    expect(d.records.map((r) => r.timestamp)).toEqual([T0, T0 - 10, T0 + 2 ** 40]);
    expect(readBatchHeader(buf).maxTimestamp).toBe(T0 + 2 ** 40);
    expect(readBatchHeader(buf).baseTimestamp).toBe(T0);
  });

  it('refuses a record that does not fit, except the first, which gets its own buffer', () => {
    const b = new BatchBuilder(200, T0);
    expect(b.tryAppend(null, Buffer.alloc(100), undefined)).toBe(true);
    expect(b.tryAppend(null, Buffer.alloc(100), undefined)).toBe(false);
    expect(b.count).toBe(1);
    const big = new BatchBuilder(200, T0);
    expect(big.tryAppend(null, Buffer.alloc(1000, 1), undefined)).toBe(true);
    const d = decodeRecordBatch(big.seal());
    expect(d.records[0].value?.length).toBe(1000);
  });

  it('grows a large batch in place past its first buffer, up to the capacity', () => {
    const records = Array.from({ length: 3000 }, (_, i) => ({
      key: null,
      value: Buffer.alloc(100, i & 255),
      timestamp: T0,
    }));
    const b = new BatchBuilder(1024 * 1024, T0);
    for (const r of records) expect(b.tryAppend(r.key, r.value, r.timestamp)).toBe(true);
    expect(b.size).toBeGreaterThan(300_000);
    expect(b.seal().equals(encodeRecordBatch({ records, baseTimestamp: T0 }))).toBe(true);
    const small = new BatchBuilder(100_000, T0);
    let n = 0;
    while (small.tryAppend(null, Buffer.alloc(100), undefined)) n++;
    expect(small.size).toBeLessThanOrEqual(100_000);
    // Full: the room left is less than one more record (~110 bytes with its varints).
    expect(100_000 - small.size).toBeLessThan(111);
    expect(n).toBe(small.count);
  });

  it('gzips records behind an uncompressed header', () => {
    const b = new BatchBuilder(16_384, T0);
    for (let i = 0; i < 50; i++) b.tryAppend(`k${i}`, `value-${i}`.repeat(10), undefined);
    const buf = b.seal('gzip');
    expect(buf.readInt16BE(21) & 7).toBe(1);
    expect(validateBatch(buf, 0, buf.length)).toBeNull();
    const d = decodeRecordBatch(buf);
    expect(d.compression).toBe('gzip');
    expect(d.records[49].value?.toString()).toBe('value-49'.repeat(10));
  });

  it('stamps producer id, epoch and sequence with a valid CRC, read the same by kafkajs', async () => {
    const b = new BatchBuilder(1024, T0);
    b.tryAppend('k', 'v', undefined, [{ key: 'seq', value: '7' }]);
    b.tryAppend('k2', 'v2', undefined);
    const buf = b.seal();
    stamp(buf, 4242, 3, 17);
    expect(validateBatch(buf, 0, buf.length)).toBeNull();
    const h = readBatchHeader(buf);
    expect([h.producerId, h.producerEpoch, h.baseSequence]).toEqual([4242, 3, 17]);
    const kj = await decodeKafkajsBatch(new KafkajsDecoder(buf));
    expect(kj.producerId).toBe('4242');
    expect(kj.firstSequence).toBe(17);
    expect(kj.records.map((r) => [r.key?.toString(), r.value?.toString(), r.offset])).toEqual([
      ['k', 'v', '0'],
      ['k2', 'v2', '1'],
    ]);
    expect(kj.records[0].headers.seq.toString()).toBe('7');
  });
});

describe('nextSequence', () => {
  it('adds the record count', () => {
    expect(nextSequence(0, 10)).toBe(10);
    expect(nextSequence(100, 1)).toBe(101);
  });

  it('wraps from 2^31-1 to 0 as Kafka does', () => {
    const max = 2 ** 31 - 1;
    expect(nextSequence(max, 1)).toBe(0);
    expect(nextSequence(max - 2, 5)).toBe(2);
    expect(nextSequence(max - 4, 5)).toBe(0);
    expect(nextSequence(max - 5, 5)).toBe(max);
  });
});
