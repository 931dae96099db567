/** Turning Fetch answers into deliveries and positions (pure: no broker involved). */
import { describe, expect, it } from 'vitest';
import type { Cluster } from '../../src/client/cluster.js';
import { BrokerError } from '../../src/client/errors.js';
import { applyRound, type FetchRound, type PartitionState } from '../../src/client/fetcher.js';
import type { FetchPartitionData } from '../../src/protocol/apis/fetch.js';
import { computeBatchCrc } from '../../src/protocol/record-batch.js';
import { encodeRecordBatch } from '../../src/protocol/records.js';

const settings = {
  maxWaitMs: 100,
  minBytes: 1,
  maxBytes: 1 << 20,
  requestTimeoutMs: 1000,
  maxPartitionBytesLimit: 1 << 20,
};

function batch(baseOffset: number, n: number, control = false): Buffer {
  const b = encodeRecordBatch({
    baseOffset,
    records: Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`v${baseOffset + i}`) })),
  });
  if (control) {
    b.writeInt16BE(b.readInt16BE(21) | 0x20, 21);
    b.writeUInt32BE(computeBatchCrc(b, 0, b.length), 17);
  }
  return b;
}

function state(fetchOffset: number): PartitionState {
  return {
    topic: 't',
    partition: 0,
    fetchOffset,
    consumedOffset: fetchOffset,
    committedOffset: -1,
    reset: false,
    maxBytes: 1024,
    highWatermark: -1,
  };
}

function answer(s: PartitionState, records: Buffer | null, errorCode = 0): FetchRound {
  const data: FetchPartitionData = {
    partitionIndex: 0,
    errorCode,
    highWatermark: 100,
    lastStableOffset: 100,
    logStartOffset: 0,
    abortedTransactions: null,
    preferredReadReplica: -1,
    records,
  };
  return { answers: [{ state: s, requestedOffset: s.fetchOffset, data }], errors: [], leaderless: [] };
}

const invalidated: string[] = [];
const cluster = { invalidate: (t: string) => invalidated.push(t) } as unknown as Cluster;
const states = (s: PartitionState) => new Map([['t\u00000', s]]);
const values = (r: ReturnType<typeof applyRound>) =>
  r.flatMap((b) => b.records.map((x) => x.value!.toString()));

describe('applyRound', () => {
  it('skips records before the requested offset inside the first batch', () => {
    const s = state(4);
    const out = applyRound(
      answer(s, Buffer.concat([batch(0, 10), batch(10, 3)])),
      states(s),
      cluster,
      settings,
    );
    expect(values(out)).toEqual(['v4', 'v5', 'v6', 'v7', 'v8', 'v9', 'v10', 'v11', 'v12']);
    expect(out[0].records.map((r) => r.offset)).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect([out[0].nextOffset, s.fetchOffset, s.consumedOffset, s.highWatermark]).toEqual([13, 13, 4, 100]);
  });

  it('ignores a partial batch at the end and fetches it whole next time', () => {
    const s = state(0);
    const next = batch(5, 5);
    const out = applyRound(
      answer(s, Buffer.concat([batch(0, 5), next.subarray(0, 30)])),
      states(s),
      cluster,
      settings,
    );
    expect(values(out)).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
    expect(s.fetchOffset).toBe(5);
  });

  it('doubles the partition limit when not even one batch fits', () => {
    const s = state(0);
    const out = applyRound(answer(s, batch(0, 50).subarray(0, 200)), states(s), cluster, settings);
    expect(out).toEqual([]);
    expect([s.fetchOffset, s.maxBytes]).toEqual([0, 2048]);
  });

  it('steps over control batches, moving both positions', () => {
    const s = state(10);
    const out = applyRound(answer(s, batch(10, 1, true)), states(s), cluster, settings);
    expect(out).toEqual([]);
    expect([s.fetchOffset, s.consumedOffset]).toEqual([11, 11]);
  });

  it('drops answers for a partition sought elsewhere or no longer assigned', () => {
    const s = state(0);
    const round = answer(s, batch(0, 3));
    s.fetchOffset = -1;
    expect(applyRound(round, states(s), cluster, settings)).toEqual([]);
    const t = state(0);
    expect(applyRound(answer(t, batch(0, 3)), new Map(), cluster, settings)).toEqual([]);
    expect(t.fetchOffset).toBe(0);
  });

  it('resets on OFFSET_OUT_OF_RANGE, looks the leader up again on NOT_LEADER, throws the rest', () => {
    const s = state(7);
    applyRound(answer(s, null, 1), states(s), cluster, settings);
    expect([s.fetchOffset, s.reset]).toEqual([-1, true]);
    const u = state(7);
    const round = answer(u, null, 6);
    applyRound(round, states(u), cluster, settings);
    expect(round.leaderless).toEqual(['t']);
    expect(invalidated).toEqual(['t']);
    expect(u.fetchOffset).toBe(7);
    const v = state(7);
    expect(() => applyRound(answer(v, null, 29), states(v), cluster, settings)).toThrow(BrokerError);
  });
});
