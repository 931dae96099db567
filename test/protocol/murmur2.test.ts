import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { murmur2, partitionForKey, toPositive } from '../../src/protocol/murmur2.js';

const require = createRequire(import.meta.url);
const { Partitioners } = require('kafkajs') as {
  Partitioners: {
    DefaultPartitioner: () => (args: {
      topic: string;
      partitionMetadata: { partitionId: number; leader: number }[];
      message: { key: Buffer; partition?: number };
    }) => number;
  };
};

describe('murmur2', () => {
  // The vectors of Kafka's own UtilsTest.testMurmur2.
  const vectors: [string, number][] = [
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ];
  for (const [input, expected] of vectors) {
    it(`hashes ${JSON.stringify(input)} like the Java client`, () => {
      expect(murmur2(Buffer.from(input))).toBe(expected);
    });
  }

  it('toPositive masks the sign bit instead of negating', () => {
    expect(toPositive(-1)).toBe(0x7fffffff);
    expect(toPositive(-2147483648)).toBe(0);
    expect(toPositive(5)).toBe(5);
  });

  it('puts every key on the same partition as kafkajs DefaultPartitioner', () => {
    const partitioner = Partitioners.DefaultPartitioner();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 1, max: 1000 }), (bytes, n) => {
        const key = Buffer.from(bytes);
        const partitionMetadata = Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: 0 }));
        const theirs = partitioner({ topic: 't', partitionMetadata, message: { key } });
        expect(partitionForKey(key, n)).toBe(theirs);
      }),
      { numRuns: 500 },
    );
  });

  it('rejects a non-positive partition count', () => {
    expect(() => partitionForKey(Buffer.from('k'), 0)).toThrow(RangeError);
  });
});
