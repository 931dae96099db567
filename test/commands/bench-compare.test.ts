import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initHistograms } from '../../src/metrics/histogram.js';
import { packageRoot } from '../../src/tools/package-root.js';
import { sampleResult } from '../tools/bench/fixtures.js';

const root = packageRoot();
const compare = (args: string[]) =>
  execa(process.execPath, [path.join(root, 'bin', 'run.js'), 'bench', 'compare', ...args], { reject: false });

let tmp: string;
let a: string;
let b: string;
beforeAll(async () => {
  if (!existsSync(path.join(root, 'dist', 'commands', 'bench', 'compare.js')))
    throw new Error('run npm run build first');
  await initHistograms();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'mq-bench-compare-'));
  a = path.join(tmp, 'mq.json');
  b = path.join(tmp, 'kafkajs.json');
  await writeFile(a, JSON.stringify(sampleResult({ rate: 5000 })));
  await writeFile(b, JSON.stringify(sampleResult({ rate: 1000, driver: 'kafkajs', e2eMaxMs: 40 })));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('mq bench compare', () => {
  it('prints the results side by side with ratios to the first', async () => {
    const r = await compare([a, b]);
    expect(r.exitCode, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^\s+mq\s+kafkajs$/);
    expect(r.stdout).toMatch(/^driver\s+mq\s+kafkajs$/m);
    expect(r.stdout).toMatch(/^publish msg\/s\s+5,000\s+1,000 \(×0\.20\)$/m);
    expect(r.stdout).toMatch(/^end-to-end p99 ms\s+9\.9\d\s+39\.\d \(×4\.00\)$/m);
  });

  it('writes a self-contained HTML comparison and prints figures as JSON', async () => {
    const html = path.join(tmp, 'compare.html');
    const r = await compare([a, b, '--html', html, '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const figures = JSON.parse(r.stdout);
    expect(
      figures.map((f: { label: string; publishRateRatio: number }) => [f.label, f.publishRateRatio]),
    ).toEqual([
      ['mq', 1],
      ['kafkajs', 0.2],
    ]);
    const text = await readFile(html, 'utf8');
    expect(text).not.toMatch(/https?:\/\//);
    expect(text.match(/<svg class="chart"/g)).toHaveLength(3);
    expect(text).toContain('kafkajs end-to-end');
  });

  it('exits 2 naming the file that is not a result', async () => {
    const junk = path.join(tmp, 'junk.json');
    await writeFile(junk, JSON.stringify({ hello: 1 }));
    const r = await compare([a, junk]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.replace(/\s*\n\s*›\s*/g, ' ')).toContain('junk.json is not an mq bench result');
    const missing = await compare([path.join(tmp, 'nope.json')]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr.replace(/\s*\n\s*›\s*/g, ' ')).toMatch(/cannot read .*nope\.json/);
  });
});

describe('compare labels', () => {
  it('uses directory names when every file is result.json', async () => {
    const { loadResults } = await import('../../src/tools/bench/compare.js');
    const { mkdir } = await import('node:fs/promises');
    for (const d of ['run-a', 'run-b']) {
      await mkdir(path.join(tmp, d), { recursive: true });
      await writeFile(path.join(tmp, d, 'result.json'), JSON.stringify(sampleResult()));
    }
    const loaded = await loadResults([
      path.join(tmp, 'run-a', 'result.json'),
      path.join(tmp, 'run-b', 'result.json'),
    ]);
    expect(loaded.map((l) => l.label)).toEqual(['run-a', 'run-b']);
    expect((await loadResults([a, b])).map((l) => l.label)).toEqual(['mq', 'kafkajs']);
  });
});
