/** `mq check` end to end: the compiled CLI on history files written here. */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/tools/package-root.js';
import type { HistoryEvent } from '../../src/tools/verify/history.js';
import { HistoryBuilder } from '../tools/verify/history-builder.js';

const root = packageRoot();
const cli = (args: string[]) =>
  execa(process.execPath, [path.join(root, 'bin', 'run.js'), 'check', ...args], {
    reject: false,
    env: { NO_COLOR: '1' },
  });
const flat = (stderr: string) => stderr.replace(/\s*\n\s*›\s*/g, ' ');

let tmp: string;
beforeAll(async () => {
  if (!existsSync(path.join(root, 'dist', 'commands', 'check.js')))
    throw new Error('run npm run build first');
  tmp = await mkdtemp(path.join(os.tmpdir(), 'mq-check-cli-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function historyFile(name: string, events: HistoryEvent[]): Promise<string> {
  const file = path.join(tmp, name);
  await writeFile(file, `${events.map((e) => JSON.stringify(e)).join('\n')}\n`);
  return file;
}

/** A crash between processing and commit: three offsets redelivered. */
function redelivery(): HistoryEvent[] {
  const h = new HistoryBuilder({ partitions: 1, expect: 'at-least-once' });
  h.produce(0, 0, 10, 0);
  h.assign('c0', [0]);
  h.read('c0', 0, h.records(0, 0, 4)).commit('c0', 0, 4);
  h.read('c0', 0, h.records(0, 4, 7));
  h.fault('consumer-crash', 'c0');
  h.assign('c1', [0]);
  h.read('c1', 0, h.records(0, 4, 10)).commit('c1', 0, 10);
  return h.drain([0]).end();
}

describe('mq check (compiled CLI)', () => {
  it('valid under the history’s guarantee: exit 0 and a summary', async () => {
    const r = await cli([await historyFile('ok.jsonl', redelivery())]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('VALID under at-least-once: no anomalies');
    expect(r.stdout).toContain('redelivered: processed, not committed, delivered again');
  });

  it('--expect exactly-once turns the redeliveries into anomalies: exit 1, --json has the counts', async () => {
    const file = await historyFile('eos.jsonl', redelivery());
    const r = await cli([file, '--expect', 'exactly-once', '--json']);
    expect(r.exitCode).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ valid: false, expect: 'exactly-once', counted: ['redelivered'] });
    expect(report.anomalies.redelivered).toBe(3);
    expect(report.examples.redelivered).toHaveLength(3);
    const one = await cli([file, '--expect', 'exactly-once', '--examples', '1']);
    expect(one.stdout).toContain('redelivered (1 of 3):');
  });

  it('--all shows every example, where --examples (default 5) shows a few', async () => {
    // Eight acknowledged messages lost, none next to another (each its own example), their
    // offsets given out again to another producer's messages.
    const h = new HistoryBuilder({ partitions: 1 });
    for (let i = 0; i < 8; i++) h.send(0, 2 * i, 1, 0).ok(0, 2 * i, 1, 0, i);
    h.produce(1, 0, 8, 0);
    const file = await historyFile('lost.jsonl', h.drain([0]).end());
    const lines = (stdout: string) =>
      stdout.split('\n').filter((l) => /^ {2}producer 0, seq \d+, partition 0: /.test(l));
    const some = await cli([file]);
    expect(some.exitCode).toBe(1);
    expect(some.stdout).toContain('lost (5 of 8):');
    expect(lines(some.stdout)).toHaveLength(5);
    const all = await cli([file, '--all']);
    expect(all.exitCode).toBe(1);
    expect(all.stdout).toContain('lost (8 of 8):');
    expect(lines(all.stdout).map((l) => /seq (\d+)/.exec(l)?.[1])).toEqual([
      '0',
      '2',
      '4',
      '6',
      '8',
      '10',
      '12',
      '14',
    ]);
    const json = await cli([file, '--all', '--json']);
    expect(JSON.parse(json.stdout).examples.lost).toHaveLength(8);
  });

  it('a file that cannot be read or parsed: exit 2 with the reason', async () => {
    const missing = await cli([path.join(tmp, 'nope.jsonl')]);
    expect(missing.exitCode).toBe(2);
    expect(flat(missing.stderr)).toContain('cannot read');
    const bad = path.join(tmp, 'bad.jsonl');
    await writeFile(bad, '{"t":"meta","v":1,"at":"x"}\n{"t":"ok","ts":1,"p":0,"s":0}\n');
    const r = await cli([bad]);
    expect(r.exitCode).toBe(2);
    expect(flat(r.stderr)).toContain('line 2: ok needs integer pt and o');
  });
});
