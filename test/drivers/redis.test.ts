/**
 * The redis driver against a real redis-server (started here on a free loopback port, AOF
 * everysec): the shared engine contract, dense offsets, what it refuses, and the tools through
 * the compiled CLI (npm run build first): bench, verify-loss (clean and with a consumer crash;
 * one consumer, see the note in docs/engines.md on competing group members) and drain-backlog.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDriver,
  type Driver,
  DriverCapabilityError,
  requireCapabilities,
} from '../../src/drivers/index.js';
import { BenchResultSchema } from '../../src/tools/bench/result.js';
import { packageRoot } from '../../src/tools/package-root.js';
import { type Peer, startPeer } from '../../src/tools/peers/index.js';
import { requireBinary } from '../support/binaries.js';
import { collector, engineContract, produce, verifyLossThroughCli } from './engine-contract.js';

const available = requireBinary('redis-server', 'apt-get install redis-server') !== null;

describe.skipIf(!available)('redis driver on a real redis-server', () => {
  let peer: Peer;
  const drivers: Driver[] = [];
  const driver = (query = '') => {
    const d = createDriver('redis', { brokers: `${peer.url}${query}` });
    drivers.push(d);
    return d;
  };
  let main: Driver;
  const mq = (args: string[]) =>
    execa(process.execPath, [path.join(packageRoot(), 'bin', 'run.js'), ...args], {
      reject: false,
      env: { NO_COLOR: '1' },
    });
  beforeAll(async () => {
    peer = await startPeer('redis');
    main = driver();
  });
  afterAll(async () => {
    for (const d of drivers) await d.close().catch(() => {});
    await peer?.close();
  });

  engineContract({
    name: 'redis',
    driver: () => main,
    slowConsumerUrl: () => `${peer.url}?count=10`,
    quickTakeover: () => driver('?claim-idle=500ms'),
  });

  it('gives dense offsets: receipts, messages and lag count like a Kafka partition', async () => {
    const t = 'redis-offsets';
    await main.admin.createTopic(t, 2);
    const producer = main.createProducer();
    const r = await producer.send(
      t,
      Array.from({ length: 6 }, (_, i) => ({ value: `v${i}`, partition: i % 2 })),
    );
    await producer.close();
    expect([...r.offsets]).toEqual([0, 0, 1, 1, 2, 2]);
    // Without a group: a plain reader from the beginning, which takes nothing from anyone.
    const reader = main.createConsumer({ topic: t, fromBeginning: true });
    const got = collector();
    await reader.start(got.onBatch);
    await got.until(6);
    await reader.close();
    for (const p of [0, 1]) {
      const offs = got.batches
        .filter((b) => b.partition === p)
        .flatMap((b) => b.messages.map((m) => m.offset));
      expect(offs).toEqual([0, 1, 2]);
    }
    expect(await main.admin.lag('nobody', t)).toEqual([
      { partition: 0, endOffset: 3, committed: -1, lag: 3 },
      { partition: 1, endOffset: 3, committed: -1, lag: 3 },
    ]);
    // A group that read partition 0's first entry and acked nothing has committed offset 0.
    const c = main.createConsumer({ topic: t, group: 'g-half', fromBeginning: true, autoCommit: false });
    const half = collector();
    await c.start(half.onBatch);
    await half.until(6);
    const lag = await main.admin.lag('g-half', t);
    expect(lag.map((l) => [l.committed, l.lag])).toEqual([
      [0, 3],
      [0, 3],
    ]);
    await c.commit();
    expect((await main.admin.lag('g-half', t)).map((l) => [l.committed, l.lag])).toEqual([
      [3, 0],
      [3, 0],
    ]);
    await c.close();
    await main.admin.deleteTopic(t);
  });

  it('refuses what Redis cannot do, naming it', async () => {
    expect(() => main.createProducer({ acks: 0 })).toThrow(DriverCapabilityError);
    expect(() => main.createProducer({ idempotent: true })).toThrow(/idempotent producers/);
    expect(() => requireCapabilities(main, { idempotence: true }, 'verify-loss')).toThrow(
      'verify-loss needs idempotent producers, which driver "redis" does not support; drop the option or pick another --driver',
    );
    expect(() => requireCapabilities(main, { compression: 'gzip' }, 'bench')).toThrow(/compression gzip/);
    expect(() => createDriver('redis', { brokers: '127.0.0.1:6379' })).toThrow(
      /needs a URL such as redis:\/\/127\.0\.0\.1:<port>.*mq peers start redis/,
    );
    expect(() => createDriver('redis', { brokers: `${peer.url}?claim-idle=soon` })).toThrow(
      /claim-idle=soon/,
    );
    const producer = main.createProducer();
    await expect(producer.send('redis-no-such-topic', [{ value: 'x' }])).rejects.toThrow(/does not exist/);
    await producer.close();
  });

  it('mq bench --driver redis: everything acknowledged is received', async () => {
    const r = await mq([
      ...['bench', '--driver', 'redis', '--brokers', peer.url],
      ...['--rate', '500', '--duration', '2s', '--warmup', '500ms', '--partitions', '4', '--json'],
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    const res = BenchResultSchema.parse(JSON.parse(r.stdout));
    expect(res.driver).toBe('redis');
    expect(res.totals.sent).toBeGreaterThan(500);
    expect(res.totals.acked).toBe(res.totals.sent);
    expect(res.totals.received).toBe(res.totals.acked);
    expect(res.totals.errors).toBe(0);
    expect(res.summary.endToEnd?.count).toBeGreaterThan(0);
  });

  it('mq bench compare across drivers: the same workload on redis and on mq serve, one table and one chart', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mq-compare-engines-'));
    try {
      const workload = ['--rate', '500', '--duration', '2s', '--warmup', '500ms', '--partitions', '4'];
      const onRedis = await mq(
        ['bench', '--driver', 'redis', '--brokers', peer.url, ...workload].concat([
          '--out',
          path.join(dir, 'redis'),
        ]),
      );
      expect(onRedis.exitCode, onRedis.stderr).toBe(0);
      const onMq = await mq(['bench', ...workload, '--out', path.join(dir, 'mq')]);
      expect(onMq.exitCode, onMq.stderr).toBe(0);
      const html = path.join(dir, 'compare.html');
      const r = await mq(
        ['bench', 'compare', path.join(dir, 'mq', 'result.json')].concat([
          path.join(dir, 'redis', 'result.json'),
          '--html',
          html,
        ]),
      );
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^driver\s+mq\s+redis$/m);
      expect(r.stdout).toMatch(/^publish msg\/s\s+[\d,]+\s+[\d,]+ \(×[\d.]+\)$/m);
      const page = await readFile(html, 'utf8');
      expect(page).not.toMatch(/https?:\/\//);
      expect(page).toContain('redis end-to-end');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);

  for (const fault of [[], ['--fault', 'consumer-crash:1s']]) {
    it(`mq verify-loss --driver redis ${fault.join(' ') || '(clean)'}: valid, nothing lost`, async () => {
      await verifyLossThroughCli(['--driver', 'redis', '--brokers', `${peer.url}?claim-idle=1s`], 1, fault);
    }, 90_000);
  }

  it('mq backlog fill + mq drain-backlog --driver redis: the lag drains, every offset handled once', async () => {
    const fill = await mq([
      'backlog',
      'fill',
      '--driver',
      'redis',
      '-b',
      peer.url,
      '-t',
      'redis-drain',
      '-n',
      '3000',
      '-p',
      '4',
    ]);
    expect(fill.exitCode, fill.stderr).toBe(0);
    const r = await mq([
      'drain-backlog',
      '--driver',
      'redis',
      '-b',
      peer.url,
      '-t',
      'redis-drain',
      '-g',
      'g',
      '-c',
      '2',
      '--json',
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.coverage).toEqual({ handled: 3000, repeats: 0, missing: 0, gaps: [] });
    expect((await main.admin.lag('g', 'redis-drain')).reduce((a, l) => a + l.lag, 0)).toBe(0);
  }, 90_000);

  it('keeps what was acknowledged more than a second before a crash (appendfsync everysec)', async () => {
    const t = 'redis-crash';
    await main.admin.createTopic(t, 2);
    await produce(main, t, 200, 2);
    await new Promise((r) => setTimeout(r, 1500));
    await peer.kill();
    await peer.restart();
    const c = main.createConsumer({ topic: t, fromBeginning: true });
    const got = collector();
    await c.start(got.onBatch);
    await got.until(200);
    await c.close();
    expect(new Set(got.seqs()).size).toBe(200);
  });
});
