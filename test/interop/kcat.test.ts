/**
 * librdkafka (kcat) against mq serve: a client we did not write produces and consumes.
 */
import { crc32 } from 'node:zlib';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedBroker } from '../../src/tools/embedded-broker.js';
import { requireBinary } from '../support/binaries.js';

const kcat = requireBinary('kcat', 'apt-get install kcat');

describe.skipIf(!kcat)('kcat (librdkafka) interop', () => {
  let broker: EmbeddedBroker;

  beforeAll(async () => {
    broker = await EmbeddedBroker.start({ flush: 'os', defaultPartitions: 4 });
  });
  afterAll(async () => {
    await broker?.close();
  });

  it('produces 100,000 keyed messages to 4 partitions and reads them all back in per-partition order', async () => {
    const topic = 'kcat-keyed';
    const n = 100_000;
    const lines: string[] = [];
    for (let i = 0; i < n; i++) lines.push(`key-${i % 997}\tvalue-${i}-${'x'.repeat(i % 50)}`);
    const produce = await execa(
      kcat!,
      [
        '-b',
        broker.bootstrap,
        '-t',
        topic,
        '-P',
        '-K',
        '\t',
        '-X',
        'linger.ms=5',
        '-X',
        'acks=all',
        '-X',
        'topic.partitioner=consistent_random',
      ],
      { input: `${lines.join('\n')}\n`, reject: false },
    );
    expect(produce.exitCode, produce.stderr).toBe(0);

    const consume = await execa(
      kcat!,
      ['-b', broker.bootstrap, '-t', topic, '-C', '-e', '-q', '-f', '%p\t%o\t%k\t%s\n'],
      {
        reject: false,
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    expect(consume.exitCode, consume.stderr).toBe(0);
    const rows = consume.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t'));
    expect(rows.length).toBe(n);

    // librdkafka's consistent_random partitioner: CRC-32 of the key modulo the partition count.
    // Checked in a loop that collects problems, then asserted once (700k expects are slow).
    const problems: string[] = [];
    const seen = new Set<number>();
    const lastIndex = new Map<string, number>();
    const lastOffset = new Map<string, number>();
    for (const [p, o, key, value] of rows) {
      const index = Number(value.split('-')[1]);
      const [wantKey, wantValue] = lines[index]?.split('\t') ?? [];
      if (value !== wantValue || key !== wantKey) problems.push(`content differs at ${p}/${o}`);
      if (Number(p) !== crc32(Buffer.from(key)) % 4) problems.push(`key ${key} in partition ${p}`);
      if (seen.has(index)) problems.push(`duplicate ${index}`);
      seen.add(index);
      // Within a partition, offsets increase and producer order is kept.
      if (Number(o) <= (lastOffset.get(p) ?? -1)) problems.push(`offset ${o} not increasing in ${p}`);
      if (index <= (lastIndex.get(p) ?? -1)) problems.push(`message ${index} out of order in ${p}`);
      lastOffset.set(p, Number(o));
      lastIndex.set(p, index);
    }
    expect(problems.slice(0, 10)).toEqual([]);
    expect(seen.size).toBe(n);
    expect(new Set(rows.map((r) => r[0])).size).toBe(4);
  });

  it('reads metadata through kcat -L', async () => {
    const r = await execa(kcat!, ['-b', broker.bootstrap, '-L', '-J'], { reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    const md = JSON.parse(r.stdout);
    expect(md.brokers).toEqual([{ id: 0, name: broker.bootstrap }]);
    expect(md.topics.some((t: { topic: string }) => t.topic === 'kcat-keyed')).toBe(true);
  });
});
