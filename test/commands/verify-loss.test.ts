/**
 * `mq verify-loss` end to end: the compiled CLI and worker threads, against a broker given with
 * --brokers and against the embedded broker it starts and removes itself. Short runs; the
 * assertions are about verdicts, exit codes and contracts.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/tools/package-root.js';
import { startBroker } from '../support/broker.js';

const root = packageRoot();
const mq = (args: string[]) =>
  execa(process.execPath, [path.join(root, 'bin', 'run.js'), ...args], {
    reject: false,
    env: { NO_COLOR: '1' },
  });
const flat = (stderr: string) => stderr.replace(/\s*\n\s*›\s*/g, ' ');

let tmp: string;
beforeAll(async () => {
  if (!existsSync(path.join(root, 'dist', 'commands', 'verify-loss.js')))
    throw new Error('run npm run build first');
  tmp = await mkdtemp(path.join(os.tmpdir(), 'mq-verify-cli-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('mq verify-loss (compiled CLI, worker threads)', () => {
  it('a clean run against --brokers: exit 0, the JSON report, a history mq check agrees with', async () => {
    const broker = await startBroker({ flush: 'sync' });
    const history = path.join(tmp, 'clean.jsonl');
    const r = await mq([
      'verify-loss',
      '--brokers',
      broker.bootstrap,
      '--messages',
      '800',
      '--rate',
      '1000',
      '--producers',
      '2',
      '--partitions',
      '2',
      '--keys',
      '5',
      '--history',
      history,
      '--json',
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ valid: true, history, counts: { sent: 800, acked: 800, consumed: 800 } });
    expect(report.drain.reachedEnd).toBe(true);
    expect(r.stderr).not.toContain('embedded broker');
    expect(r.stderr).toMatch(/drain +sent 800 {2}acked 800/); // progress lines go to stderr with --json
    const check = await mq(['check', history, '--json']);
    expect(check.exitCode).toBe(0);
    const { history: _h, ...same } = report;
    expect(JSON.parse(check.stdout)).toEqual(same);
  });

  it('lost acknowledged messages (async flush + broker kill): exit 1, plain lines and the summary', async () => {
    const r = await mq([
      'verify-loss',
      '--messages',
      '2500',
      '--rate',
      '1000',
      '--partitions',
      '2',
      '--consumers',
      '0',
      '--broker-flush',
      'async:1000',
      '--fault',
      'broker-kill,after=1500ms',
    ]);
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stdout).toMatch(
      /^verify-loss: 2,500 messages, 1 producer\(s\), 0 consumer\(s\), 2 partitions on verify-\S+, faults: broker-kill$/m,
    );
    expect(r.stdout).toMatch(/ANOMALIES under at-least-once: lost [1-9]/);
    expect(r.stdout).toMatch(/nearest fault: broker-kill \(broker\)/);
    expect(r.stdout).toMatch(/^history: \S+\.jsonl$/m);
  });

  it('could not run: exit 2 with what to do', async () => {
    const external = await mq(['verify-loss', '--brokers', '127.0.0.1:1', '--fault', 'broker-kill']);
    expect(external.exitCode).toBe(2);
    expect(flat(external.stderr)).toContain('broker-kill needs the embedded broker: drop --brokers');
    const bad = await mq(['verify-loss', '--fault', 'disk-full']);
    expect(bad.exitCode).toBe(2);
    expect(flat(bad.stderr)).toContain('unknown fault "disk-full"');
    const rate = await mq(['verify-loss', '--rate', 'fast']);
    expect(rate.exitCode).toBe(2);
    expect(flat(rate.stderr)).toContain('--rate: "fast" is not a rate');
  });
  it('SIGTERM stops the run: producers stop, what was sent is checked, exit 3, no data dir left', async () => {
    const history = path.join(tmp, 'stopped.jsonl');
    const child = execa(
      process.execPath,
      [
        path.join(root, 'bin', 'run.js'),
        'verify-loss',
        '--messages',
        '1000000',
        '--rate',
        '500',
        '--partitions',
        '2',
        '--history',
        history,
        '--json',
      ],
      { reject: false, env: { NO_COLOR: '1' } },
    );
    let signalled = false;
    child.stderr?.on('data', (d: Buffer) => {
      if (!signalled && /produce +sent [1-9]/.test(d.toString())) {
        signalled = true;
        child.kill('SIGTERM');
      }
    });
    const r = await child;
    expect(signalled).toBe(true);
    expect(r.exitCode, r.stderr).toBe(3);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ valid: true, stopped: true, history });
    expect(report.counts.sent).toBeGreaterThan(0);
    expect(report.counts.sent).toBeLessThan(1_000_000);
    expect(report.counts.acked).toBe(report.counts.sent);
    expect(report.counts.consumed).toBe(report.counts.sent);
    expect(report.drain.reachedEnd).toBe(true);
    const dataDir = /data dir (\S+)\)/.exec(r.stderr)?.[1];
    expect(dataDir).toBeDefined();
    expect(existsSync(dataDir!)).toBe(false);
    const check = await mq(['check', history, '--json']);
    expect(check.exitCode, check.stderr).toBe(0);
    expect(JSON.parse(check.stdout).counts).toEqual(report.counts);
  }, 60_000);
});
