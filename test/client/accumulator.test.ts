import { describe, expect, it } from 'vitest';
import { RecordAccumulator } from '../../src/client/accumulator.js';
import { decodeRecordBatch } from '../../src/protocol/records.js';

const value = Buffer.alloc(100, 1);

function acc(batchSize: number, lingerMs: number) {
  return new RecordAccumulator({ batchSize, lingerMs, compression: 'none' });
}

describe('RecordAccumulator', () => {
  it('fills a batch up to batchSize and seals it when the next record does not fit', () => {
    const a = acc(400, 0);
    let full = 0;
    a.onBatchFull = () => full++;
    const q = a.queue('t', 0);
    const batches = new Set();
    for (let i = 0; i < 7; i++) batches.add(a.append(q, null, value, undefined, undefined));
    // 61-byte header + 3 records of ~106 bytes fit in 400; the 4th opens a new batch.
    expect(batches.size).toBe(3);
    expect(full).toBe(2);
    expect(q.waiting.map((b) => b.recordCount)).toEqual([3, 3]);
    expect(q.open?.recordCount).toBe(1);
    for (const b of q.waiting) {
      expect(b.bytes!.length).toBeLessThanOrEqual(400);
      expect(decodeRecordBatch(b.bytes!).records).toHaveLength(3);
    }
  });

  it('lets an open batch linger until lingerMs, unless forced', () => {
    const a = acc(16_384, 50);
    const q = a.queue('t', 0);
    const b = a.append(q, 'k', value, undefined, undefined);
    const t0 = b.createdAt;
    expect(a.take(q, t0 + 10, false)).toBeNull();
    expect(q.open).toBe(b);
    expect(a.nextWakeAt(t0 + 10)).toBe(t0 + 50);
    expect(a.nextWakeAt(t0 + 50)).toBe(Infinity);
    expect(a.take(q, t0 + 10, true)).toBe(b);
    expect(b.bytes).not.toBeNull();
    const c = a.append(q, 'k', value, undefined, undefined);
    expect(c).not.toBe(b);
    expect(a.take(q, c.createdAt + 50, false)).toBe(c);
  });

  it('with lingerMs 0 takes the open batch at once', () => {
    const a = acc(16_384, 0);
    const q = a.queue('t', 1);
    const b = a.append(q, null, value, undefined, undefined);
    expect(a.take(q, b.createdAt, false)).toBe(b);
    expect(q.idle).toBe(true);
  });

  it('sends sealed batches first and keeps the open one filling behind them', () => {
    const a = acc(300, 0);
    const q = a.queue('t', 0);
    const first = a.append(q, null, value, undefined, undefined);
    a.append(q, null, value, undefined, undefined);
    const second = a.append(q, null, value, undefined, undefined); // did not fit: first sealed
    expect(second).not.toBe(first);
    expect(a.take(q, Date.now() + 1000, false)).toBe(first);
    expect(q.open).toBe(second);
  });

  it('puts a retried batch back at its place and holds later ones behind its backoff', () => {
    const a = acc(200, 0);
    const q = a.queue('t', 0);
    for (let i = 0; i < 4; i++) a.append(q, null, value, undefined, undefined);
    a.seal(q);
    const now = Date.now();
    const b0 = a.take(q, now, false)!;
    const b1 = a.take(q, now, false)!;
    expect([b0.id, b1.id]).toEqual([q.waiting[0].id - 2, q.waiting[0].id - 1]);
    b1.retryAt = now + 100;
    a.requeue(b1);
    b0.retryAt = now + 100;
    a.requeue(b0);
    expect(q.waiting.map((b) => b.id)).toEqual([b0.id, b1.id, b1.id + 1, b1.id + 2]);
    expect(a.take(q, now + 50, false)).toBeNull();
    expect(a.take(q, now + 100, false)).toBe(b0);
    expect(q.hasOlderUnacked(b1)).toBe(false);
    q.inFlight.add(b0);
    expect(q.hasOlderUnacked(b1)).toBe(true);
  });

  it('counts buffered bytes until batches are released', () => {
    const a = acc(1000, 0);
    const q = a.queue('t', 0);
    a.append(q, null, value, undefined, undefined);
    expect(a.bufferedBytes).toBe(1000);
    a.seal(q);
    const b = a.take(q, Date.now(), false)!;
    expect(a.bufferedBytes).toBe(b.bytes!.length);
    a.release(b);
    expect(a.bufferedBytes).toBe(0);
  });
});
