/**
 * gzip end to end: what mq's Producer and `mq produce` send with compression gzip is stored as
 * gzip batches (the attributes of the batches in the partition's segment file and in a Fetch
 * answer say so, and the segment is smaller than the same records uncompressed), and kcat
 * (librdkafka) reads the values back. Without compression the same path stores plain batches,
 * so the checks are not satisfied by whatever the producer happens to send.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WireClient } from '../../bench/hardening/wire-client.js';
import { createTopic, fetch } from '../../bench/hardening/wire-ops.js';
import { Producer } from '../../src/client/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { BatchAttr, readBatchHeader, splitBatches } from '../../src/protocol/record-batch.js';
import { decodeRecords } from '../../src/protocol/records.js';
import { partitionDirName } from '../../src/storage/index.js';
import { EmbeddedBroker } from '../../src/tools/embedded-broker.js';
import { requireBinary } from '../support/binaries.js';
import { lines, mq, requireBuild } from '../support/mq-cli.js';

const kcat = requireBinary('kcat', 'apt-get install kcat');
const GZIP = 1;

interface Stored {
  /** Compression codec of each stored batch (attributes & 0x07). */
  codecs: number[];
  bytes: number;
}

/** The batches of a partition as they are in its segment files. */
async function segmentBatches(b: EmbeddedBroker, topic: string, partition: number): Promise<Stored> {
  const dir = path.join(b.dataDir, 'topics', partitionDirName(topic, partition));
  const logs = (await readdir(dir)).filter((f) => f.endsWith('.log')).sort();
  const codecs: number[] = [];
  let bytes = 0;
  for (const f of logs) {
    const data = await readFile(path.join(dir, f));
    const { spans, error } = splitBatches(data);
    expect(error).toBeNull();
    for (const s of spans) codecs.push(readBatchHeader(data, s.pos).attributes & BatchAttr.CompressionMask);
    bytes += data.length;
  }
  return { codecs, bytes };
}

/** The batches of a partition as a Fetch returns them: codec names and the values in order. */
async function fetched(c: WireClient, topic: string, partition: number) {
  const res = await fetch(c, topic, [{ partition, offset: 0 }], { partitionMaxBytes: 16 * 1024 * 1024 });
  const p = res.responses[0].partitions[0];
  expect(p.errorCode).toBe(ErrorCode.NONE);
  const batches = decodeRecords(p.records);
  return {
    compressions: [...new Set(batches.map((b) => b.compression))],
    values: batches.flatMap((b) => b.records.map((r) => r.value!.toString())),
  };
}

async function kcatValues(b: EmbeddedBroker, topic: string, partition: number): Promise<string[]> {
  const r = await execa(
    kcat!,
    ['-b', b.bootstrap, '-C', '-t', topic, '-p', String(partition), '-e', '-q', '-f', '%s\n'],
    { reject: false, timeout: 30_000 },
  );
  expect(r.exitCode, r.stderr).toBe(0);
  return lines(r.stdout);
}

describe.skipIf(!kcat)('gzip end to end', () => {
  let broker: EmbeddedBroker;
  let wire: WireClient;
  beforeAll(async () => {
    requireBuild('produce');
    broker = await EmbeddedBroker.start({ flush: 'os' });
    wire = await WireClient.connect(broker.port);
  });
  afterAll(async () => {
    wire?.close();
    await broker?.close();
  });

  // Compressible values: gzip has to shrink them a lot.
  const values = Array.from({ length: 400 }, (_, i) => `value-${i}-${'abcdefgh'.repeat(25)}`);

  /**
   * Partition 0 of `topic` stores `values` as gzip batches, partition 1 the same values plain:
   * the segment files say so, gzip takes under a fifth of plain, and Fetch and kcat read the
   * values of partition 0 back in order.
   */
  async function expectGzipBesidePlain(topic: string): Promise<void> {
    const gz = await segmentBatches(broker, topic, 0);
    const plain = await segmentBatches(broker, topic, 1);
    expect(gz.codecs.length).toBeGreaterThan(0);
    expect(gz.codecs.every((c) => c === GZIP)).toBe(true);
    expect(plain.codecs.every((c) => c === 0)).toBe(true);
    expect(gz.bytes).toBeLessThan(plain.bytes / 5);
    const f = await fetched(wire, topic, 0);
    expect(f.compressions).toEqual(['gzip']);
    expect(f.values).toEqual(values);
    expect(await kcatValues(broker, topic, 0)).toEqual(values);
  }

  it("mq's Producer with compression gzip stores gzip batches that kcat reads", async () => {
    await createTopic(wire, 'gz-client', 2);
    for (const [partition, compression] of [
      [0, 'gzip'],
      [1, 'none'],
    ] as const) {
      const producer = new Producer({ bootstrap: broker.bootstrap, compression, lingerMs: 5 });
      await producer.sendBatch(
        'gz-client',
        partition,
        values.map((value) => ({ value })),
      );
      await producer.close();
    }

    await expectGzipBesidePlain('gz-client');
    expect(await kcatValues(broker, 'gz-client', 1)).toEqual(values);
  });

  it('mq produce --compression gzip stores gzip batches that kcat reads', async () => {
    await createTopic(wire, 'gz-cli', 2);
    const input = `${values.join('\n')}\n`;
    const b = ['--brokers', broker.bootstrap];
    const gz = await mq(['produce', '-t', 'gz-cli', '-p', '0', '--compression', 'gzip', ...b], { input });
    expect(gz.exitCode, gz.stderr).toBe(0);
    const plain = await mq(['produce', '-t', 'gz-cli', '-p', '1', ...b], { input });
    expect(plain.exitCode, plain.stderr).toBe(0);

    await expectGzipBesidePlain('gz-cli');
  });
});
