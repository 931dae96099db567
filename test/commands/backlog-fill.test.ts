/**
 * `mq backlog fill` end to end: the compiled CLI (npm run build first) against an embedded
 * broker this file starts.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDriver, type Driver } from '../../src/drivers/index.js';
import type { BacklogFillResult } from '../../src/tools/backlog/fill.js';
import type { EmbeddedBroker } from '../../src/tools/embedded-broker.js';
import { packageRoot } from '../../src/tools/package-root.js';
import { decodeStamp, STAMP_HEADER } from '../../src/tools/stamp.js';
import { startBroker } from '../support/broker.js';

const root = packageRoot();
let broker: EmbeddedBroker;
let driver: Driver;

const cli = (args: string[], brokers = broker.bootstrap) =>
  execa(process.execPath, [path.join(root, 'bin', 'run.js'), 'backlog', 'fill', '-b', brokers, ...args], {
    reject: false,
    env: { NO_COLOR: '1' },
  });
const flat = (stderr: string) => stderr.replace(/\s*\n\s*›\s*/g, ' ');

beforeAll(async () => {
  if (!existsSync(path.join(root, 'dist', 'commands', 'backlog', 'fill.js')))
    throw new Error('run npm run build first');
  broker = await startBroker({ flush: 'os' });
  driver = createDriver('mq', { brokers: broker.bootstrap });
});
afterAll(async () => {
  await driver?.close();
});

describe('mq backlog fill (compiled CLI)', () => {
  it('--messages N: creates the topic, spreads N messages over its partitions, stamped 0..N−1', async () => {
    const r = await cli(['-t', 'f1', '--messages', '10000', '--partitions', '4', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout) as BacklogFillResult;
    expect(res).toMatchObject({
      topic: 'f1',
      partitions: 4,
      created: true,
      messages: 10_000,
      messageSize: 100,
      bytes: 1_000_000,
    });
    const lag = await driver.admin.lag('g', 'f1');
    expect(lag.map((p) => p.endOffset).reduce((a, b) => a + b)).toBe(10_000);
    // Even: no partition holds more than one send's worth above another.
    const ends = lag.map((p) => p.endOffset);
    expect(Math.max(...ends) - Math.min(...ends)).toBeLessThanOrEqual(2000);
    const seqs = new Set<number>();
    const c = driver.createConsumer({ topic: 'f1', fromBeginning: true, autoCommit: false });
    let done!: () => void;
    const all = new Promise<void>((r) => {
      done = r;
    });
    await c.start((b) => {
      for (const m of b.messages) {
        const s = decodeStamp(m.headers.find((h) => h.key === STAMP_HEADER)?.value);
        expect(s?.producerId).toBe(res.producerId);
        expect(m.value).toHaveLength(100);
        seqs.add(s!.sequence);
      }
      if (seqs.size === 10_000) done();
    });
    await all;
    await c.close();
    expect(Math.min(...seqs)).toBe(0);
    expect(Math.max(...seqs)).toBe(9999);
  });

  it('--size: as many messages of --message-size as the size holds; an existing topic keeps its partitions', async () => {
    await driver.admin.createTopic('f2', 3);
    const r = await cli(['-t', 'f2', '--size', '100KB', '--message-size', '1KB', '--partitions', '9']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^filled f2: 100 × 1024 B over 3 partitions \(0\.10 MiB\) in [\d.]+s, /);
    expect((await driver.admin.lag('g', 'f2')).map((p) => p.endOffset).reduce((a, b) => a + b)).toBe(100);
  });

  it('exits 2 without a count or size, with both, or without a broker', async () => {
    const neither = await cli(['-t', 'x']);
    expect(neither.exitCode).toBe(2);
    expect(flat(neither.stderr)).toMatch(/give --messages N or --size SIZE/);
    const both = await cli(['-t', 'x', '--messages', '5', '--size', '1KB']);
    expect(both.exitCode).toBe(2);
    expect(flat(both.stderr)).toMatch(/cannot also be provided when using/);
    const nobody = await cli(['-t', 'x', '--messages', '5'], '127.0.0.1:1');
    expect(nobody.exitCode).toBe(2);
    expect(flat(nobody.stderr)).toMatch(/cannot prepare topic x: .*\(check --brokers\)/);
  });
});
