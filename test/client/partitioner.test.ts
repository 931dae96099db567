import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { Partitioner } from '../../src/client/partitioner.js';

const require = createRequire(import.meta.url);
const { Partitioners } = require('kafkajs') as {
  Partitioners: {
    DefaultPartitioner: () => (args: {
      topic: string;
      partitionMetadata: { partitionId: number; leader: number }[];
      message: { key: Buffer | string };
    }) => number;
  };
};

describe('Partitioner', () => {
  it('puts keyed records where kafkajs DefaultPartitioner does', () => {
    const kafkajs = Partitioners.DefaultPartitioner();
    const ours = new Partitioner();
    for (const n of [1, 3, 7, 12, 64]) {
      const partitionMetadata = Array.from({ length: n }, (_, partitionId) => ({ partitionId, leader: 0 }));
      for (let i = 0; i < 500; i++) {
        const key =
          i % 2 === 0 ? `key-${i}-${'x'.repeat(i % 13)}` : Buffer.from([i & 255, (i * 7) & 255, i >> 3]);
        const expected = kafkajs({ topic: 't', partitionMetadata, message: { key } });
        expect(ours.partition('t', key, n, () => null)).toBe(expected);
      }
    }
  });

  it('sticks to one partition for keyless records while its batch is open, then moves', () => {
    let r = 0;
    const rolls = [0.1, 0.1, 0.9];
    const p = new Partitioner('sticky', () => rolls[r++]);
    const batchA = {};
    const open = new Map<number, object>();
    const first = p.partition('t', null, 4, (q) => open.get(q) ?? null);
    expect(first).toBe(0);
    open.set(first, batchA);
    p.appended('t', first, batchA);
    expect(p.partition('t', null, 4, (q) => open.get(q) ?? null)).toBe(0);
    expect(p.partition('t', undefined, 4, (q) => open.get(q) ?? null)).toBe(0);
    // The batch left: a new random partition, never the same one again when there are others.
    open.delete(0);
    expect(p.partition('t', null, 4, (q) => open.get(q) ?? null)).toBe(1);
  });

  it('round-robins keyless records when asked', () => {
    const p = new Partitioner('roundrobin', () => 0);
    expect([0, 1, 2, 3, 4].map(() => p.partition('t', null, 3, () => null))).toEqual([0, 1, 2, 0, 1]);
  });
});
