import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MalformedFrameError } from '../../src/protocol/reader.js';
import { computeBatchCrc, readBatchHeader, validateBatch } from '../../src/protocol/record-batch.js';
import {
  decodeRecordBatch,
  decodeRecords,
  encodeRecordBatch,
  type ProducerRecord,
  UnsupportedCompressionError,
} from '../../src/protocol/records.js';

const require = createRequire(import.meta.url);

interface KafkajsEncoder {
  buffer: Buffer;
}
interface KafkajsDecodedRecord {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[]>;
}
const kafkajsRecordBatch = require('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch(opts: Record<string, unknown>): Promise<KafkajsEncoder>;
};
const kafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (
  opts: Record<string, unknown>,
) => KafkajsEncoder;
const kafkajsBatchDecoder = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (
  decoder: unknown,
) => Promise<{
  firstOffset: string;
  lastOffsetDelta: number;
  producerId: string;
  records: KafkajsDecodedRecord[];
}>;
const KafkajsDecoder = require('kafkajs/src/protocol/decoder') as new (buf: Buffer) => unknown;
const Long = require('kafkajs/src/utils/long') as { fromValue(v: number): unknown };

const header = fc.record({
  key: fc.string({ unit: 'grapheme', maxLength: 8 }),
  value: fc.option(
    fc.uint8Array({ maxLength: 16 }).map((a) => Buffer.from(a)),
    { nil: null },
  ),
});
const nullableBytes = fc.option(
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  { nil: null },
);
const timestamp = fc.integer({ min: -(2 ** 50), max: 2 ** 50 });
const record: fc.Arbitrary<ProducerRecord> = fc.record({
  key: nullableBytes,
  value: nullableBytes,
  headers: fc.array(header, { maxLength: 4 }),
  timestamp,
});

function expectValid(batch: Buffer): void {
  expect(validateBatch(batch, 0, batch.length)).toBeNull();
}

describe('encodeRecordBatch / decodeRecordBatch', () => {
  it('round-trips records, uncompressed and gzip', () => {
    fc.assert(
      fc.property(
        fc.array(record, { minLength: 1, maxLength: 20 }),
        fc.constantFrom('none' as const, 'gzip' as const),
        fc.maxSafeInteger().filter((n) => n >= 0 && n < 2 ** 52),
        (records, compression, baseOffset) => {
          const batch = encodeRecordBatch({
            records,
            compression,
            baseOffset,
            producerId: 42,
            producerEpoch: 3,
            baseSequence: 7,
          });
          expectValid(batch);
          const decoded = decodeRecordBatch(batch);
          expect(decoded.size).toBe(batch.length);
          expect(decoded.compression).toBe(compression);
          expect(decoded.header).toMatchObject({
            baseOffset,
            producerId: 42,
            producerEpoch: 3,
            baseSequence: 7,
            recordCount: records.length,
            lastOffsetDelta: records.length - 1,
            baseTimestamp: records[0].timestamp,
            maxTimestamp: Math.max(...records.map((r) => r.timestamp!)),
            partitionLeaderEpoch: -1,
          });
          expect(decoded.records.map((r) => r.toJSON())).toEqual(
            records.map((r, i) => ({
              offset: baseOffset + i,
              timestamp: r.timestamp,
              key: r.key,
              value: r.value,
              headers: r.headers,
            })),
          );
          // Lazy parts, read before the headers were made: header() by key bytes, valueSize.
          const fresh = decodeRecordBatch(batch).records;
          records.forEach((r, i) => {
            expect(fresh[i].valueSize).toBe(r.value === null ? -1 : r.value.length);
            for (const k of [...(r.headers ?? []).map((h) => h.key), 'absent-key'])
              expect(fresh[i].header(k)).toEqual(r.headers?.find((h) => h.key === k)?.value);
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('writes the documented header fields and defaults', () => {
    const batch = encodeRecordBatch({
      records: [{ key: null, value: Buffer.from('v') }],
      baseTimestamp: 1000,
    });
    expect(batch.readBigInt64BE(0)).toBe(0n); // baseOffset
    expect(batch.readInt32BE(8)).toBe(batch.length - 12); // batchLength
    expect(batch.readInt32BE(12)).toBe(-1); // partitionLeaderEpoch
    expect(batch[16]).toBe(2); // magic
    expect(batch.readUInt32BE(17)).toBe(computeBatchCrc(batch, 0, batch.length));
    expect(batch.readInt16BE(21)).toBe(0); // attributes: no compression, create time, not transactional
    expect(batch.readBigInt64BE(27)).toBe(1000n);
    expect(batch.readBigInt64BE(35)).toBe(1000n);
    expect(batch.readBigInt64BE(43)).toBe(-1n); // producerId
    expect(batch.readInt16BE(51)).toBe(-1); // producerEpoch
    expect(batch.readInt32BE(53)).toBe(-1); // baseSequence
    expect(batch.readInt32BE(57)).toBe(1); // recordCount
    // The one record, byte for byte: length 7, attributes, ts delta 0, offset delta 0,
    // key null (-1 → zigzag 1), value length 1 (zigzag 2) 'v', no headers.
    expect(batch.subarray(61)).toEqual(Buffer.from([0x0e, 0x00, 0x00, 0x00, 0x01, 0x02, 0x76, 0x00]));
  });

  it('sets the transactional and gzip attribute bits', () => {
    const batch = encodeRecordBatch({
      records: [{ key: null, value: null }],
      compression: 'gzip',
      transactional: true,
    });
    expect(batch.readInt16BE(21)).toBe(0x10 | 1);
    const decoded = decodeRecordBatch(batch);
    expect(decoded.transactional).toBe(true);
    expect(decoded.control).toBe(false);
    expect(decoded.timestampType).toBe('create');
  });

  it('timestamps: negative, large, and deltas either side of the base', () => {
    const records = [-1, 2 ** 45, -(2 ** 45), 0, 1_700_000_000_000].map((timestamp) => ({
      key: null,
      value: null,
      timestamp,
    }));
    const decoded = decodeRecordBatch(encodeRecordBatch({ records }));
    expect(decoded.records.map((r) => r.timestamp)).toEqual([-1, 2 ** 45, -(2 ** 45), 0, 1_700_000_000_000]);
    expect(decoded.header.maxTimestamp).toBe(2 ** 45);
  });

  it('reports LogAppendTime batches with the max timestamp for every record', () => {
    const batch = encodeRecordBatch({
      records: [
        { key: null, value: null, timestamp: 5 },
        { key: null, value: null, timestamp: 9 },
      ],
    });
    batch.writeInt16BE(0x08, 21);
    batch.writeUInt32BE(computeBatchCrc(batch, 0, batch.length), 17);
    const decoded = decodeRecordBatch(batch);
    expect(decoded.timestampType).toBe('log-append');
    expect(decoded.records.map((r) => r.timestamp)).toEqual([9, 9]);
  });

  it('refuses an empty batch', () => {
    expect(() => encodeRecordBatch({ records: [] })).toThrow(RangeError);
  });

  it('throws a clear error for snappy, lz4 and zstd', () => {
    for (const [codec, name] of [
      [2, 'snappy'],
      [3, 'lz4'],
      [4, 'zstd'],
    ] as const) {
      const batch = encodeRecordBatch({ records: [{ key: null, value: Buffer.from('x') }] });
      batch.writeInt16BE(codec, 21);
      batch.writeUInt32BE(computeBatchCrc(batch, 0, batch.length), 17);
      expect(() => decodeRecordBatch(batch)).toThrow(UnsupportedCompressionError);
      expect(() => decodeRecordBatch(batch)).toThrow(`unsupported compression: ${name}`);
    }
  });

  it('rejects a CRC mismatch unless told not to check', () => {
    const batch = encodeRecordBatch({ records: [{ key: null, value: Buffer.from('abc') }] });
    batch[batch.length - 2] ^= 0xff;
    expect(() => decodeRecordBatch(batch)).toThrow(/crc mismatch/);
    expect(() => decodeRecordBatch(batch, 0, { verifyCrc: false })).not.toThrow();
  });

  it('rejects magic other than 2', () => {
    const batch = encodeRecordBatch({ records: [{ key: null, value: null }] });
    batch[16] = 1;
    expect(() => decodeRecordBatch(batch)).toThrow(/magic 1/);
  });

  it('never throws anything but MalformedFrameError on corrupted bytes (CRC off)', () => {
    fc.assert(
      fc.property(
        fc.array(record, { minLength: 1, maxLength: 4 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        (records, edits, gzip) => {
          const batch = encodeRecordBatch({ records, compression: gzip ? 'gzip' : 'none' });
          for (const [at, byte] of edits) {
            const i = at % batch.length;
            // Leave the compression bits alone: another codec is a different, expected error.
            if (i === 22) continue;
            batch[i] = byte;
          }
          try {
            decodeRecordBatch(batch, 0, { verifyCrc: false });
          } catch (err) {
            expect(err).toBeInstanceOf(MalformedFrameError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('does not allocate from a lying record count', () => {
    const batch = encodeRecordBatch({ records: [{ key: null, value: null }] });
    batch.writeInt32BE(0x7fffffff, 57);
    expect(() => decodeRecordBatch(batch, 0, { verifyCrc: false })).toThrow(MalformedFrameError);
  });

  it('bounds gzip output', () => {
    const plain = Buffer.alloc(1 << 20);
    const batch = encodeRecordBatch({ records: [{ key: null, value: plain }], compression: 'gzip' });
    expect(() => decodeRecordBatch(batch, 0, { maxDecompressedBytes: 1 << 16 })).toThrow(MalformedFrameError);
    expect(decodeRecordBatch(batch).records[0].value?.equals(plain)).toBe(true);
  });
});

describe('decodeRecords', () => {
  const a = encodeRecordBatch({ records: [{ key: null, value: Buffer.from('a') }], baseOffset: 10 });
  const b = encodeRecordBatch({
    records: [
      { key: Buffer.from('k'), value: Buffer.from('b') },
      { key: null, value: Buffer.from('c') },
    ],
    baseOffset: 11,
    compression: 'gzip',
  });

  it('decodes batches back to back with absolute offsets', () => {
    const batches = decodeRecords(Buffer.concat([a, b]));
    expect(batches.flatMap((x) => x.records.map((r) => [r.offset, r.value?.toString()]))).toEqual([
      [10, 'a'],
      [11, 'b'],
      [12, 'c'],
    ]);
  });

  it('ignores a partial trailing batch at every cut', () => {
    const blob = Buffer.concat([a, b]);
    for (let cut = a.length; cut < blob.length; cut++) {
      const batches = decodeRecords(blob.subarray(0, cut));
      expect(batches).toHaveLength(1);
      expect(batches[0].records[0].offset).toBe(10);
    }
    for (let cut = 0; cut < a.length; cut++) expect(decodeRecords(blob.subarray(0, cut))).toEqual([]);
  });

  it('handles null and empty blobs', () => {
    expect(decodeRecords(null)).toEqual([]);
    expect(decodeRecords(Buffer.alloc(0))).toEqual([]);
  });

  it('throws on a corrupt whole batch rather than skipping it', () => {
    const blob = Buffer.concat([a, b]);
    blob[a.length + 70] ^= 1;
    expect(() => decodeRecords(blob)).toThrow(MalformedFrameError);
  });

  it('random bytes never hang and throw only MalformedFrameError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (raw) => {
        try {
          decodeRecords(Buffer.from(raw), { verifyCrc: false });
        } catch (err) {
          if (!(err instanceof UnsupportedCompressionError)) expect(err).toBeInstanceOf(MalformedFrameError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('interop with kafkajs', () => {
  async function kafkajsBatch(compression: number): Promise<Buffer> {
    const messages = [
      {
        key: Buffer.from('key-1'),
        value: Buffer.from('value-1'),
        headers: { h1: Buffer.from('x'), h2: Buffer.from('') },
      },
      { key: null, value: Buffer.from('value-2'), headers: {} },
      { key: Buffer.from('key-3'), value: null, headers: { a: Buffer.from('é') } },
    ];
    const first = 1_700_000_000_000;
    const records = messages.map((m, i) =>
      kafkajsRecord({ ...m, offsetDelta: i, timestampDelta: i * 1000 - 500 }),
    );
    const encoder = await kafkajsRecordBatch.RecordBatch({
      compression,
      records,
      firstOffset: Long.fromValue(100),
      firstTimestamp: first,
      maxTimestamp: first + 1500,
      lastOffsetDelta: 2,
      producerId: Long.fromValue(77),
      producerEpoch: 2,
      firstSequence: 5,
    });
    return encoder.buffer;
  }

  it.each([
    [0, 'none'],
    [1, 'gzip'],
  ])('decodes a batch kafkajs encoded (compression %i)', async (codec, name) => {
    const batch = await kafkajsBatch(codec);
    expectValid(batch);
    const [decoded] = decodeRecords(batch);
    expect(decoded.compression).toBe(name);
    expect(decoded.header).toMatchObject({
      baseOffset: 100,
      producerId: 77,
      producerEpoch: 2,
      baseSequence: 5,
    });
    expect(decoded.records.map((r) => r.toJSON())).toEqual([
      {
        offset: 100,
        timestamp: 1_700_000_000_000 - 500,
        key: Buffer.from('key-1'),
        value: Buffer.from('value-1'),
        headers: [
          { key: 'h1', value: Buffer.from('x') },
          { key: 'h2', value: Buffer.from('') },
        ],
      },
      { offset: 101, timestamp: 1_700_000_000_500, key: null, value: Buffer.from('value-2'), headers: [] },
      {
        offset: 102,
        timestamp: 1_700_000_001_500,
        key: Buffer.from('key-3'),
        value: null,
        headers: [{ key: 'a', value: Buffer.from('é') }],
      },
    ]);
  });

  it.each(['none', 'gzip'] as const)('kafkajs decodes a batch we encoded (%s)', async (compression) => {
    const batch = encodeRecordBatch({
      records: [
        {
          key: Buffer.from('k'),
          value: Buffer.from('v1'),
          headers: [{ key: 'mq-seq', value: Buffer.from('1') }],
          timestamp: 2000,
        },
        { key: null, value: Buffer.from('v2'), timestamp: 1000 },
      ],
      compression,
      baseOffset: 5,
      producerId: 9,
      producerEpoch: 0,
      baseSequence: 0,
    });
    const decoded = await kafkajsBatchDecoder(new KafkajsDecoder(batch));
    expect(decoded.firstOffset).toBe('5');
    expect(decoded.lastOffsetDelta).toBe(1);
    expect(decoded.producerId).toBe('9');
    expect(
      decoded.records.map((r) => ({
        offset: r.offset,
        timestamp: r.timestamp,
        key: r.key,
        value: r.value,
        headers: r.headers,
      })),
    ).toEqual([
      {
        offset: '5',
        timestamp: '2000',
        key: Buffer.from('k'),
        value: Buffer.from('v1'),
        headers: { 'mq-seq': Buffer.from('1') },
      },
      { offset: '6', timestamp: '1000', key: null, value: Buffer.from('v2'), headers: {} },
    ]);
  });

  it('our header matches readBatchHeader after a broker rewrites baseOffset', () => {
    const batch = encodeRecordBatch({ records: [{ key: null, value: null }], baseOffset: 0 });
    batch.writeBigInt64BE(12345n, 0);
    expectValid(batch);
    expect(readBatchHeader(batch).baseOffset).toBe(12345);
    expect(decodeRecordBatch(batch).records[0].offset).toBe(12345);
  });
});
