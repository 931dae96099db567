/**
 * `mq bench` end to end: the compiled CLI (npm run build first), real piscina worker threads,
 * and an embedded broker it starts and removes itself. Short runs at a small fixed rate; the
 * assertions are about counts and contracts, never about speed.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BenchResultSchema } from '../../src/tools/bench/result.js';
import { packageRoot } from '../../src/tools/package-root.js';

const root = packageRoot();
const cli = (args: string[]) =>
  execa(process.execPath, [path.join(root, 'bin', 'run.js'), 'bench', ...args], {
    reject: false,
    env: { NO_COLOR: '1' },
  });
/** oclif wraps error messages to the terminal width, prefixing " ›   ". */
const flat = (stderr: string) => stderr.replace(/\s*\n\s*›\s*/g, ' ');
const SHORT = [
  '--rate',
  '400',
  '--duration',
  '2s',
  '--warmup',
  '500ms',
  '--partitions',
  '4',
  '--interval',
  '500ms',
];

let tmp: string;
beforeAll(async () => {
  if (!existsSync(path.join(root, 'dist', 'commands', 'bench.js')))
    throw new Error('run npm run build first');
  tmp = await mkdtemp(path.join(os.tmpdir(), 'mq-bench-cli-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('mq bench (compiled CLI, worker threads, embedded broker)', () => {
  for (const driver of ['mq', 'kafkajs']) {
    it(`--driver ${driver}: sent = acked = received, the JSON result matches its schema`, async () => {
      const out = path.join(tmp, driver);
      const r = await cli([
        ...SHORT,
        '--driver',
        driver,
        '--json',
        '--out',
        out,
        '--assert',
        'publish.errors==0',
      ]);
      expect(r.stderr).toMatch(/embedded broker on 127\.0\.0\.1:\d+ \(flush os/);
      expect(r.exitCode, r.stderr).toBe(0);
      const json = JSON.parse(r.stdout);
      const parsed = BenchResultSchema.safeParse(json);
      expect(parsed.error).toBeUndefined();
      const res = parsed.data!;
      expect(res.driver).toBe(driver);
      expect(res.totals.sent).toBeGreaterThan(0);
      expect(res.totals.acked).toBe(res.totals.sent);
      expect(res.totals.received).toBe(res.totals.acked);
      expect(res.totals.errors).toBe(0);
      expect(res.summary.endToEnd?.count).toBeGreaterThan(0);
      expect(res.assertions).toEqual([
        { expression: 'publish.errors==0', actual: 0, unit: 'messages', ok: true },
      ]);
      // Interval lines went to stderr, so stdout is only the JSON.
      expect(r.stderr).toMatch(/measure \| pub /);
      expect((await readdir(out)).sort()).toEqual(
        [
          'end-to-end-latency.hlog',
          'publish-delay.hlog',
          'publish-latency.hlog',
          'report.html',
          'result.json',
        ].sort(),
      );
      expect(JSON.parse(await readFile(path.join(out, 'result.json'), 'utf8')).totals).toEqual(res.totals);
      const html = await readFile(path.join(out, 'report.html'), 'utf8');
      expect(html).not.toMatch(/https?:\/\//);
      expect(html).toContain('<svg class="chart"');
      expect(await readFile(path.join(out, 'publish-latency.hlog'), 'utf8')).toMatch(
        /^Tag=|^\d+\.\d+,\d+\.\d+,/m,
      );
      // The embedded broker's temp data dir is gone.
      const dataDir = /data dir (\S+)\)/.exec(r.stderr)?.[1];
      expect(dataDir && existsSync(dataDir)).toBe(false);
    });
  }

  it('without a TTY prints one plain line per interval and the summary; a failed --assert exits 1', async () => {
    const r = await cli([...SHORT, '--assert', 'publish.rate>1', '--assert', 'e2e.p99<1us']);
    expect(r.exitCode, r.stderr).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(
      /^mq bench \(mq\): 1 topic × 4 partitions, 1 producer, 1 consumer, 100 B messages, 400 msg\/s/,
    );
    const intervals = lines.filter((l) => / (warmup|measure|drain)\s+\| pub /.test(l));
    expect(intervals.filter((l) => l.includes(' warmup '))).not.toHaveLength(0);
    expect(intervals.filter((l) => l.includes(' measure ')).length).toBeGreaterThanOrEqual(3);
    for (const l of intervals)
      expect(l).toMatch(/backlog [\d,]+ \| pub p50 [\d.]+ p99 [\d.]+ p99\.9 [\d.]+ max [\d.]+ ms/);
    expect(r.stdout).toMatch(/^mq bench summary: /m);
    expect(r.stdout).toMatch(/^✓ publish\.rate>1 \(actual [\d,]+ msg\/s\)$/m);
    expect(r.stdout).toMatch(/^✗ e2e\.p99<1us \(actual [\d.]+ ms\)$/m);
    expect(r.stdout).not.toMatch(/\x1b\[/);
  });

  it('SIGTERM (a CI job cancelled) ends the run as Ctrl-C does: the summary, exit 0, no data dir left behind', async () => {
    const child = execa(
      process.execPath,
      [path.join(root, 'bin', 'run.js'), 'bench', '--rate', '400', '--duration', '60s', '--partitions', '2'],
      { reject: false, env: { NO_COLOR: '1' } },
    );
    let sent = false;
    child.stdout?.on('data', (d: Buffer) => {
      if (!sent && / measure\s+\| pub /.test(d.toString())) {
        sent = true;
        child.kill('SIGTERM');
      }
    });
    const r = await child;
    expect(sent).toBe(true);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^mq bench summary: /m);
    const dataDir = /data dir (\S+)\)/.exec(r.stderr)?.[1];
    expect(dataDir).toBeDefined();
    expect(existsSync(dataDir!)).toBe(false);
  }, 60_000);

  it('exits 2 with a clear message when it cannot run', async () => {
    const bad = await cli(['--partitions', '0']);
    expect(bad.exitCode).toBe(2);
    expect(flat(bad.stderr)).toMatch(
      /--partitions \(partitionsPerTopic\): number must be greater than or equal to 1/,
    );
    const assertion = await cli(['--assert', 'e2e.p42<1ms']);
    expect(assertion.exitCode).toBe(2);
    expect(flat(assertion.stderr)).toMatch(/unknown metric "e2e\.p42"/);
    const unreachable = await cli(['--brokers', '127.0.0.1:1', '--duration', '1s']);
    expect(unreachable.exitCode).toBe(2);
    expect(flat(unreachable.stderr)).toMatch(/cannot create topic .* at 127\.0\.0\.1:1/);
    const memory = await cli(['--driver', 'memory', '--brokers', 'x']);
    expect(memory.exitCode).toBe(2);
    expect(flat(memory.stderr)).toMatch(/the memory driver keeps its queue in one thread/);
    const capability = await cli(['--driver', 'kafkajs', '--compression', 'zstd']);
    expect(capability.exitCode).toBe(2);
    expect(flat(capability.stderr)).toMatch(/compression zstd .* driver "kafkajs" does not support/);
  });
});
