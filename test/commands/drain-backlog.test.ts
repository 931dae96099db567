/**
 * `mq drain-backlog` end to end: the compiled CLI (npm run build first) against an embedded
 * broker this file starts. Assertions are on exit codes, the JSON result, lag and output lines,
 * never on speed; "slower than arrival" is arranged by --work against --produce-rate.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDriver, type Driver } from '../../src/drivers/index.js';
import { fillBacklog } from '../../src/tools/backlog/fill.js';
import { DrainResultSchema } from '../../src/tools/drain/result.js';
import type { EmbeddedBroker } from '../../src/tools/embedded-broker.js';
import { packageRoot } from '../../src/tools/package-root.js';
import { startBroker } from '../support/broker.js';

const root = packageRoot();
const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'tools', 'drain', 'fixtures');
let broker: EmbeddedBroker;
let driver: Driver;

const cli = (args: string[]) =>
  execa(
    process.execPath,
    [path.join(root, 'bin', 'run.js'), 'drain-backlog', '-b', broker.bootstrap, ...args],
    {
      reject: false,
      env: { NO_COLOR: '1' },
    },
  );
/** oclif wraps error messages to the terminal width, prefixing " ›   ". */
const flat = (stderr: string) => stderr.replace(/\s*\n\s*›\s*/g, ' ');
const endSum = async (topic: string) =>
  (await driver.admin.lag('nobody', topic)).reduce((a, p) => a + p.endOffset, 0);

beforeAll(async () => {
  if (!existsSync(path.join(root, 'dist', 'commands', 'drain-backlog.js')))
    throw new Error('run npm run build first');
  broker = await startBroker({ flush: 'os' });
  driver = createDriver('mq', { brokers: broker.bootstrap });
  await fillBacklog(driver, { topic: 'small', messages: 3000, partitions: 4 });
  await fillBacklog(driver, { topic: 'slow', messages: 3000, partitions: 2 });
  await fillBacklog(driver, { topic: 'est', messages: 5000, partitions: 4 });
  await fillBacklog(driver, { topic: 'fails', messages: 2000, partitions: 2 });
  await fillBacklog(driver, { topic: 'ctrlc', messages: 3000, partitions: 2 });
});
afterAll(async () => {
  await driver?.close();
});

describe('mq drain-backlog (compiled CLI)', () => {
  it('drains and exits 0; without a TTY it prints plain progress lines and a summary', async () => {
    const r = await cli(['-t', 'small', '-g', 'small-g', '-c', '2', '--interval', '200ms']);
    expect(r.exitCode, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(
      `mq drain-backlog · small · group small-g · 4 partitions · 2 consumers · lag 3,000 (${(300_000 / 2 ** 20).toFixed(2)} MiB)`,
    );
    expect(r.stdout).toMatch(/final \| remaining 0 \| drain /);
    expect(r.stdout).toMatch(/^drained \(lag 0\) in .*: lag 3,000 → 0$/m);
    expect(r.stdout).toMatch(/^check: 3,000 offsets handled, \d+ redelivered, 0 missing$/m);
    for (const p of await driver.admin.lag('small-g', 'small')) expect(p.committed).toBe(p.endOffset);
  });

  it('--timeout with a drain slower than arrival exits 3, reports the remaining lag, and stops its producer', async () => {
    const r = await cli([
      '-t',
      'slow',
      '-g',
      'slow-g',
      '--work',
      '10ms',
      '--produce-rate',
      '400',
      '--timeout',
      '4s',
      '--json',
    ]);
    expect(r.exitCode, r.stderr).toBe(3);
    const res = DrainResultSchema.parse(JSON.parse(r.stdout));
    expect(res.outcome).toBe('timeout');
    expect(res.reason).toBe('timeout after 4000 ms');
    expect(res.endLag.messages).toBeGreaterThan(0);
    expect(res.endLag.messages).toBe(res.endLag.partitions.reduce((a, p) => a + p.lag, 0));
    // Arrivals outpaced the drain: the backlog grew.
    expect(res.counts.arrived).toBeGreaterThan(res.counts.processed);
    expect(res.rates.net).toBeLessThan(0);
    expect(res.endLag.messages).toBeGreaterThan(res.startLag.messages);
    expect(res.coverage?.missing).toBe(0);
    // Progress went to stderr; the producer stopped before the final lag was read.
    expect(r.stderr).toMatch(/drain \| remaining [\d,]+ \| drain .* arrival /);
    expect(await endSum('slow')).toBe(res.endLag.partitions.reduce((a, p) => a + p.endOffset, 0));
  });

  it('Ctrl-C stops early with lag left: exit 3, outcome stopped, the result agrees with the broker', async () => {
    const r = await stopOnFirstTick(['-t', 'ctrlc', '-g', 'ctrlc-g', '--work', '5ms', '--json']);
    expect(r.exitCode, r.stderr).toBe(3);
    const res = DrainResultSchema.parse(JSON.parse(r.stdout));
    expect(res.outcome).toBe('stopped');
    expect(res.endLag.messages).toBeGreaterThan(0);
    expect(res.counts.processed).toBeGreaterThan(0);
    const lag = await driver.admin.lag('ctrlc-g', 'ctrlc');
    expect(lag.map((p) => p.lag)).toEqual(res.endLag.partitions.map((p) => p.lag));
  });

  it('SIGTERM (a CI job cancelled) stops it the same way: exit 3, outcome stopped', async () => {
    const r = await stopOnFirstTick(['-t', 'ctrlc', '-g', 'term-g', '--work', '5ms', '--json'], 'SIGTERM');
    expect(r.exitCode, r.stderr).toBe(3);
    const res = DrainResultSchema.parse(JSON.parse(r.stdout));
    expect(res.outcome).toBe('stopped');
    expect(res.counts.processed).toBeGreaterThan(0);
  });

  it('--dry-run reports lag, arrival and an estimate, and commits nothing', async () => {
    const r = await cli([
      '-t',
      'est',
      '-g',
      'est-g',
      '-c',
      '8',
      '--work',
      '1ms',
      '--dry-run',
      '--sample',
      '1s',
      '--json',
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    const e = JSON.parse(r.stdout);
    expect(e).toMatchObject({
      schema: 'mq-drain-estimate/1',
      dryRun: true,
      partitions: 4,
      consumers: 8,
      effectiveConsumers: 4,
      arrivalRate: 0,
      lag: { messages: 5000, bytes: 500_000 },
    });
    expect(e.perConsumerRate).toBeLessThanOrEqual(1000);
    expect(e.etaSec).toBeCloseTo(5000 / e.capacity, 6);
    for (const p of await driver.admin.lag('est-g', 'est')) expect(p.committed).toBe(-1);
    const text = await cli(['-t', 'est', '-g', 'est-g', '--dry-run', '--sample', '500ms']);
    expect(text.stdout).toMatch(/^dry run · est · group est-g · 4 partitions: lag 5,000/);
  });

  it('exits 1 when a handler fails messages and there is no --dlq', async () => {
    const handler = path.join(fixtures, 'flaky-handler.mjs');
    // Offsets ≡ 7 (mod 1000) always fail; the others succeed at the latest on their one retry.
    const poison = (await driver.admin.lag('fails-g', 'fails')).reduce(
      (a, p) => a + Math.floor((p.endOffset - 1 - 7) / 1000) + 1,
      0,
    );
    const r = await cli([
      '-t',
      'fails',
      '-g',
      'fails-g',
      '--handler',
      handler,
      '--max-retries',
      '1',
      '--json',
    ]);
    expect(r.exitCode, r.stderr).toBe(1);
    const res = DrainResultSchema.parse(JSON.parse(r.stdout));
    expect(res.outcome).toBe('drained');
    expect(res.counts.failed).toBe(poison);
    expect(res.warnings).toContain(`${poison} messages failed after 1 retries (no --dlq)`);
  });

  it('exits 2 when it cannot run: no such topic, a bad combination of flags, a broken handler', async () => {
    const missing = await cli(['-t', 'nope', '-g', 'g']);
    expect(missing.exitCode).toBe(2);
    expect(flat(missing.stderr)).toMatch(/topic nope does not exist at 127\.0\.0\.1:\d+/);
    const dlq = await cli(['-t', 'small', '-g', 'g', '--dlq', 'x']);
    expect(dlq.exitCode).toBe(2);
    expect(flat(dlq.stderr)).toMatch(/--dlq only receives messages a --handler failed on/);
    await fillBacklog(driver, { topic: 'broken', messages: 10, partitions: 1 });
    const broken = await cli(['-t', 'broken', '-g', 'g', '--handler', path.join(fixtures, 'no-export.mjs')]);
    expect(broken.exitCode).toBe(2);
    expect(flat(broken.stderr)).toMatch(/exports neither handleMessage, handleBatch nor a default function/);
  });
});

/** Runs the CLI and sends SIGINT (or `signal`) once the first progress line shows on stderr. */
async function stopOnFirstTick(args: string[], signal: 'SIGINT' | 'SIGTERM' = 'SIGINT') {
  const child = execa(
    process.execPath,
    [path.join(root, 'bin', 'run.js'), 'drain-backlog', '-b', broker.bootstrap, ...args],
    {
      reject: false,
      env: { NO_COLOR: '1' },
    },
  );
  let sent = false;
  child.stderr?.on('data', (d: Buffer) => {
    if (!sent && / drain \| remaining /.test(d.toString())) {
      sent = true;
      child.kill(signal);
    }
  });
  return child;
}
