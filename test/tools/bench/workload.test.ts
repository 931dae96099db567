import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/cli/units.js';
import { parseRate, workloadFromFlags } from '../../../src/tools/bench/cli-options.js';
import { resolveWorkload, WorkloadError, withPayloadSize } from '../../../src/tools/bench/workload.js';

const file = (text: string) => ({ text, path: 'w.yaml' });
const errorOf = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(WorkloadError);
    return (err as Error).message;
  }
  throw new Error('expected a WorkloadError');
};

describe('workload files (OMB field names)', () => {
  it('reads an OpenMessaging Benchmark workload', () => {
    const w = resolveWorkload({
      file: file(
        `
name: 1 topic / 16 partitions / 1kb
topics: 1
partitionsPerTopic: 16
messageSize: 1024
payloadFile: "payload/payload-1Kb.data"
keyDistributor: "NO_KEY"
subscriptionsPerTopic: 1
consumerPerSubscription: 1
producersPerTopic: 1
producerRate: 50000
consumerBacklogSizeGB: 0
testDurationMinutes: 15
`.replace('consumerBacklogSizeGB: 0\n', ''),
      ),
    });
    expect(w).toMatchObject({
      name: '1 topic / 16 partitions / 1kb',
      topics: 1,
      partitionsPerTopic: 16,
      messageSize: 1024,
      rate: { mode: 'fixed', perSecond: 50000 },
      durationMs: 15 * 60_000,
      keyDistributor: 'NO_KEY',
    });
    expect(w.payloadFile).toBe(path.resolve('payload/payload-1Kb.data'));
  });

  it('keeps OMB producerRate 0 = search, and accepts -1 / max', () => {
    expect(resolveWorkload({ file: file('producerRate: 0') }).rate).toMatchObject({
      mode: 'search',
      startRate: 10000,
    });
    expect(resolveWorkload({ file: file('producerRate: -1') }).rate).toEqual({ mode: 'max' });
    expect(resolveWorkload({ file: file('producerRate: max') }).rate).toEqual({ mode: 'max' });
    expect(resolveWorkload({}).rate).toEqual({ mode: 'max' });
  });

  it('lets flags override file fields, and only the ones given', () => {
    const w = resolveWorkload({
      file: file('partitionsPerTopic: 4\nmessageSize: 512\nproducer: { lingerMs: 5 }'),
      flags: workloadFromFlags({ partitions: 8, rate: '20k', acks: '1' }),
    });
    expect(w.partitionsPerTopic).toBe(8);
    expect(w.messageSize).toBe(512);
    expect(w.rate).toEqual({ mode: 'fixed', perSecond: 20000 });
    expect(w.producer).toMatchObject({ acks: 1, lingerMs: 5, batchSize: 16384 });
    expect(w.producer.explicit.sort()).toEqual(['acks', 'lingerMs']);
  });

  it('names the field, and the flag when a flag set it', () => {
    expect(errorOf(() => resolveWorkload({ file: file('partitionsPerTopic: 0') }))).toMatch(
      /w\.yaml: invalid workload:\n {2}- partitionsPerTopic: number must be greater than or equal to 1/,
    );
    expect(errorOf(() => resolveWorkload({ flags: workloadFromFlags({ partitions: 0 }) }))).toMatch(
      /--partitions \(partitionsPerTopic\): number must be greater than or equal to 1/,
    );
    expect(errorOf(() => resolveWorkload({ file: file('messageSize: "big"') }))).toMatch(
      /messageSize: must be a number, got string/,
    );
    expect(errorOf(() => resolveWorkload({ file: file('keyDistributor: RANDOM') }))).toMatch(
      /keyDistributor: must be one of NO_KEY, KEY_ROUND_ROBIN, RANDOM_NANO/,
    );
    expect(errorOf(() => resolveWorkload({ file: file('producer:\n  acks: 2') }))).toMatch(
      /producer\.acks: must be all, -1, 1 or 0/,
    );
    expect(errorOf(() => resolveWorkload({ file: file('producerRate: -3') }))).toMatch(
      /producerRate: must be a rate in msg\/s, 0 or "search"/,
    );
  });

  it('refuses unknown fields (a typo must not fall back to a default)', () => {
    expect(errorOf(() => resolveWorkload({ file: file('partitionPerTopic: 8') }))).toMatch(
      /unknown field "partitionPerTopic" \(known: .*partitionsPerTopic/,
    );
    expect(errorOf(() => resolveWorkload({ file: file('producer:\n  linger: 5') }))).toMatch(
      /unknown field "producer\.linger"/,
    );
  });

  it('refuses YAML that is not a mapping, and bad YAML', () => {
    expect(errorOf(() => resolveWorkload({ file: file('- 1\n- 2') }))).toMatch(/a workload is a mapping/);
    expect(errorOf(() => resolveWorkload({ file: file('topics: [1') }))).toMatch(/not valid YAML/);
  });

  it('refuses idempotence without acks=all', () => {
    expect(
      errorOf(() => resolveWorkload({ flags: workloadFromFlags({ idempotence: true, acks: '1' }) })),
    ).toMatch(/idempotence.*acks = -1/);
  });

  it('converts durations to minutes and back', () => {
    const w = resolveWorkload({ flags: workloadFromFlags({ duration: '90s', warmup: '500ms' }) });
    expect(w.durationMs).toBe(90_000);
    expect(w.warmupMs).toBe(500);
  });

  it('parses rates and refuses nonsense with the flag named', () => {
    expect(parseRate('50k')).toBe(50_000);
    expect(parseRate('1.5M')).toBe(1_500_000);
    expect(parseRate('search')).toBe('search');
    expect(() => parseRate('fast')).toThrow(UsageError);
    expect(() => workloadFromFlags({ 'message-size': 'huge' })).toThrow(/--message-size/);
  });

  it('takes the message size from the payload file, and names it when unreadable', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mq-workload-'));
    try {
      await writeFile(path.join(dir, 'p.data'), Buffer.alloc(321));
      const w = resolveWorkload({ file: { text: 'payloadFile: p.data', path: path.join(dir, 'w.yaml') } });
      expect((await withPayloadSize(w)).messageSize).toBe(321);
      await expect(withPayloadSize({ ...w, payloadFile: path.join(dir, 'missing') })).rejects.toThrow(
        /payloadFile \(--payload-file\): cannot read/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
