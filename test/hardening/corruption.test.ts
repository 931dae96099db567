/**
 * Random damage to what a crash or a bad disk can leave behind, chosen by fast-check (seeded),
 * at the process level: the broker is stopped, the files are damaged, the broker restarts.
 *
 * After a kill -9: the tail of the active segment truncated mid-batch (partition 0) or one bit
 * flipped in one of its last batches (partition 1), and the offsets log's tail truncated or
 * bit-flipped. Recovery cuts each to its last valid state and logs what it cut; what is served
 * afterwards is exactly a prefix of what was produced, at the same offsets, holding at least
 * every batch before the damage; committed offsets are ones that were committed; appends and
 * commits continue.
 *
 * After a clean stop, when indexes are trusted: the active segment's offset and time indexes
 * truncated, bit-flipped, zeroed or grown with garbage, plus garbage after the segment's end.
 * Nothing is lost: every offset is still found, by offset and by timestamp, garbage is not served.
 *
 * Bit flips skip bytes 12..15 of a batch (partitionLeaderEpoch): they are outside the batch CRC
 * by design (Kafka's brokers rewrite them), so no one can see a flip there, in Kafka either.
 */
import { closeSync, openSync, readFileSync, readSync, statSync, truncateSync, writeSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { WireClient } from '../../bench/hardening/wire-client.js';
import {
  commitOffset,
  committedOffset,
  createTopic,
  fetch,
  produce,
} from '../../bench/hardening/wire-ops.js';
import {
  decodeListOffsetsResponse,
  encodeListOffsetsRequest,
  ListOffsetsApi,
} from '../../src/protocol/apis/list-offsets.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { decodeRecords, encodeRecordBatch } from '../../src/protocol/records.js';
import { EmbeddedBroker } from '../../src/tools/embedded-broker.js';
import { expectAliveAndClean, logLines } from './support.js';

/** MQ_DAMAGE_SEED / MQ_DAMAGE_RUNS explore further than the suite's two damages per test. */
const SEED = Number(process.env.MQ_DAMAGE_SEED ?? 4242);
const RUNS = Number(process.env.MQ_DAMAGE_RUNS ?? 2);
const TOPIC = 'damaged';
const BATCHES = 30;
const RECORDS = 5;
const SEGMENT = '00000000000000000000';
/** Values of ~300 bytes: 30 batches of 5 span several 4 KiB index intervals. */
const PAD = '.'.repeat(300);
const recordValue = (part: number, b: number, r: number) => `p${part}-b${b}-r${r}${PAD}`;

interface Produced {
  /** Per partition: byte position of each batch in the segment, and its first offset. */
  positions: number[][];
  sizes: number[][];
  /** Per partition: the value of each offset. */
  values: string[][];
  /** Per partition: every offset committed, in order. */
  commits: number[][];
}

function flipBit(file: string, position: number, bit: number): void {
  const fd = openSync(file, 'r+');
  const b = Buffer.alloc(1);
  readSync(fd, b, 0, 1, position);
  b[0] ^= 1 << bit;
  writeSync(fd, b, 0, 1, position);
  closeSync(fd);
}

function appendBytes(file: string, bytes: Buffer): void {
  const fd = openSync(file, 'a');
  writeSync(fd, bytes);
  closeSync(fd);
}

/** Byte positions of the records of the offsets log (8-byte header, then the body). */
function offsetLogRecords(file: string): { position: number; size: number }[] {
  const buf = readFileSync(file);
  const out: { position: number; size: number }[] = [];
  for (let pos = 0; pos + 8 <= buf.length; ) {
    const size = 8 + buf.readInt32BE(pos);
    out.push({ position: pos, size });
    pos += size;
  }
  return out;
}

async function produceAll(c: WireClient, partitions: number): Promise<Produced> {
  await createTopic(c, TOPIC, partitions);
  const p: Produced = { positions: [], sizes: [], values: [], commits: [] };
  for (let part = 0; part < partitions; part++) {
    p.positions.push([]);
    p.sizes.push([]);
    p.values.push([]);
    p.commits.push([]);
    let position = 0;
    for (let b = 0; b < BATCHES; b++) {
      const values = Array.from({ length: RECORDS }, (_, r) => recordValue(part, b, r));
      const batch = encodeRecordBatch({
        records: values.map((v) => ({ key: null, value: Buffer.from(v), headers: [] })),
        compression: 'none',
        baseTimestamp: 1_700_000_000_000 + b * 1000,
      });
      const res = await produce(c, TOPIC, part, batch);
      expect(res.errorCode).toBe(ErrorCode.NONE);
      expect(res.baseOffset).toBe(b * RECORDS);
      p.positions[part].push(position);
      p.sizes[part].push(batch.length);
      p.values[part].push(...values);
      position += batch.length;
      if (b % 5 === 4) {
        expect(await commitOffset(c, 'g', TOPIC, part, (b + 1) * RECORDS)).toBe(ErrorCode.NONE);
        p.commits[part].push((b + 1) * RECORDS);
      }
    }
  }
  return p;
}

/** Every record of a partition from offset 0; fails on any batch that does not pass its CRC. */
async function readPartition(c: WireClient, part: number): Promise<string[]> {
  const out: string[] = [];
  for (let offset = 0, guard = 0; guard < 1000; guard++) {
    const res = await fetch(c, TOPIC, [{ partition: part, offset }], {
      maxBytes: 8192,
      partitionMaxBytes: 8192,
    });
    const p = res.responses[0].partitions[0];
    expect(p.errorCode).toBe(ErrorCode.NONE);
    const batches = decodeRecords(p.records); // verifies every CRC
    if (batches.length === 0) break;
    for (const b of batches)
      for (const r of b.records) if (r.offset >= offset) out[r.offset] = r.value!.toString();
    offset = out.length;
  }
  return out;
}

function cutsLogged(b: EmbeddedBroker, file: string): number {
  return logLines(b.stderr).filter((l) => l.level >= 40 && String(l.file ?? '').endsWith(file)).length;
}

const tailDamage = fc.record({
  /** Which of the last three batches is hit, and where inside it (a fraction of its size). */
  batchFromEnd: fc.integer({ min: 1, max: 3 }),
  at: fc.double({ min: 0, max: 0.999, noNaN: true }),
  bit: fc.integer({ min: 0, max: 7 }),
  offsetsLog: fc.record({
    mode: fc.constantFrom('truncate', 'flip'),
    recordFromEnd: fc.integer({ min: 1, max: 3 }),
    at: fc.double({ min: 0, max: 0.999, noNaN: true }),
    bit: fc.integer({ min: 0, max: 7 }),
  }),
});

const indexDamage = fc.record({
  mode: fc.constantFrom('truncate', 'flip', 'zero', 'garbage'),
  at: fc.double({ min: 0, max: 0.999, noNaN: true }),
  bit: fc.integer({ min: 0, max: 7 }),
  garbage: fc.uint8Array({ minLength: 1, maxLength: 64 }),
});

describe('damaged files', () => {
  let broker: EmbeddedBroker | undefined;
  let c: WireClient | undefined;
  afterEach(async () => {
    c?.close();
    await broker?.close();
    broker = undefined;
  });

  it('after kill -9: torn or bit-flipped segment and offsets-log tails are cut, logged, never served', async () => {
    const runs = fc.sample(tailDamage, { seed: SEED, numRuns: RUNS });
    for (const damage of runs) {
      broker = await EmbeddedBroker.start({ flush: 'sync', logLevel: 'info' });
      c = await WireClient.connect(broker.port);
      const produced = await produceAll(c, 2);
      c.close();
      await broker.kill();
      const dir = (part: number) => path.join(broker!.dataDir, 'topics', `${TOPIC}-${part}`);
      // Partition 0: truncated inside a batch. Partition 1: one bit flipped inside a batch.
      const hit = BATCHES - damage.batchFromEnd;
      const inBatch = (part: number) => {
        const size = produced.sizes[part][hit];
        let at = Math.floor(damage.at * size);
        if (part === 1 && at >= 12 && at < 16) at = 16; // partitionLeaderEpoch: outside the CRC
        return produced.positions[part][hit] + Math.max(1, at);
      };
      truncateSync(path.join(dir(0), `${SEGMENT}.log`), inBatch(0));
      flipBit(path.join(dir(1), `${SEGMENT}.log`), inBatch(1), damage.bit);
      const offsetsLog = path.join(broker.dataDir, 'groups', 'offsets.log');
      const records = offsetLogRecords(offsetsLog);
      const rec = records[records.length - damage.offsetsLog.recordFromEnd];
      const recAt = rec.position + Math.floor(damage.offsetsLog.at * rec.size);
      if (damage.offsetsLog.mode === 'truncate') truncateSync(offsetsLog, Math.max(rec.position + 1, recAt));
      else flipBit(offsetsLog, recAt, damage.offsetsLog.bit);

      await broker.restart();
      c = await WireClient.connect(broker.port);
      for (const part of [0, 1]) {
        const served = await readPartition(c, part);
        // Exactly a prefix of what was produced, at the same offsets, with every batch before the hit.
        expect(served).toEqual(produced.values[part].slice(0, served.length));
        expect(served.length).toBeGreaterThanOrEqual(hit * RECORDS);
        expect(served.length).toBeLessThan(BATCHES * RECORDS);
        expect(cutsLogged(broker, `${SEGMENT}.log`), 'the cut is logged').toBeGreaterThan(0);
        // Appends continue right after what was kept.
        const res = await produce(
          c,
          TOPIC,
          part,
          encodeRecordBatch({
            records: [{ key: null, value: Buffer.from('after'), headers: [] }],
            compression: 'none',
          }),
        );
        expect(res.baseOffset).toBe(served.length);
      }
      // Committed offsets: ones that were committed (or none); the cut is logged; commits go on.
      for (const part of [0, 1]) {
        const committed = await committedOffset(c, 'g', TOPIC, part);
        expect([-1, ...produced.commits[part]]).toContain(committed);
      }
      expect(logLines(broker.stderr).some((l) => l.msg.includes('offsets log: cut an invalid tail'))).toBe(
        true,
      );
      expect(await commitOffset(c, 'g', TOPIC, 0, 1)).toBe(ErrorCode.NONE);
      expect(await committedOffset(c, 'g', TOPIC, 0)).toBe(1);
      expectAliveAndClean(broker);
      c.close();
      await broker.close();
      broker = undefined;
    }
  }, 240_000);

  it('after a clean stop: damaged indexes and garbage after the segment lose nothing', async () => {
    const runs = fc.sample(
      fc.tuple(indexDamage, indexDamage, fc.uint8Array({ minLength: 1, maxLength: 200 })),
      {
        seed: 777,
        numRuns: 2,
      },
    );
    for (const [offsetIndexDamage, timeIndexDamage, tailGarbage] of runs) {
      broker = await EmbeddedBroker.start({ flush: 'sync', logLevel: 'info' });
      c = await WireClient.connect(broker.port);
      const produced = await produceAll(c, 1);
      c.close();
      expect(await broker.stop()).toBe(0);
      const dir = path.join(broker.dataDir, 'topics', `${TOPIC}-0`);
      for (const [file, damage] of [
        [`${SEGMENT}.index`, offsetIndexDamage],
        [`${SEGMENT}.timeindex`, timeIndexDamage],
      ] as const) {
        const full = path.join(dir, file);
        const size = statSync(full).size;
        const at = Math.floor(damage.at * size);
        if (damage.mode === 'truncate') truncateSync(full, at);
        else if (damage.mode === 'zero') writeZeros(full, size);
        else if (damage.mode === 'garbage') appendBytes(full, Buffer.from(damage.garbage));
        else if (size > 0) flipBit(full, at, damage.bit);
      }
      appendBytes(path.join(dir, `${SEGMENT}.log`), Buffer.from(tailGarbage));

      await broker.restart();
      c = await WireClient.connect(broker.port);
      expect(await readPartition(c, 0)).toEqual(produced.values[0]);
      // Lookups through the indexes: every batch's first offset, and every batch's timestamp.
      for (let b = 0; b < BATCHES; b++) {
        const res = await fetch(c, TOPIC, [{ partition: 0, offset: b * RECORDS + 2 }], {
          maxBytes: 1,
          partitionMaxBytes: 1,
        });
        const first = decodeRecords(res.responses[0].partitions[0].records)[0];
        expect(first.records.map((r) => r.value?.toString())).toContain(recordValue(0, b, 2));
      }
      const lo = await c.request(
        ListOffsetsApi,
        5,
        (w) =>
          encodeListOffsetsRequest(w, 5, {
            replicaId: -1,
            isolationLevel: 0,
            topics: [
              {
                name: TOPIC,
                partitions: Array.from({ length: BATCHES }, (_, b) => ({
                  partitionIndex: 0,
                  currentLeaderEpoch: -1,
                  timestamp: 1_700_000_000_000 + b * 1000,
                })),
              },
            ],
          }),
        decodeListOffsetsResponse,
      );
      expect(lo.topics[0].partitions.map((p) => p.offset)).toEqual(
        Array.from({ length: BATCHES }, (_, b) => b * RECORDS),
      );
      expectAliveAndClean(broker);
      c.close();
      await broker.close();
      broker = undefined;
    }
  }, 240_000);
});

function writeZeros(file: string, size: number): void {
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.alloc(size), 0, size, 0);
  closeSync(fd);
}
