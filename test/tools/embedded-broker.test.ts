/**
 * The embedded broker never outlives the tool that started it, and a Ctrl-C aimed at the tool's
 * process group does not reach it (the tool stops it in its own time).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/tools/package-root.js';

const compiled = pathToFileURL(path.join(packageRoot(), 'dist/src/tools/embedded-broker.js')).href;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(cond: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

describe('EmbeddedBroker child process', () => {
  it('stops when the parent is killed without cleaning up, and removes the temporary data dir it was given', async () => {
    const script = `const { EmbeddedBroker } = await import(${JSON.stringify(compiled)});
      const b = await EmbeddedBroker.start({});
      console.log(JSON.stringify({ pid: b.pid, dataDir: b.dataDir }));
      process.kill(process.pid, 'SIGKILL');`;
    const r = await execa(process.execPath, ['--input-type=module', '-e', script], { reject: false });
    const { pid, dataDir } = JSON.parse(r.stdout.trim()) as { pid: number; dataDir: string };
    expect(pid).toBeGreaterThan(0);
    expect(await waitUntil(() => !alive(pid), 15_000)).toBe(true);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('keeps a data dir it did not create when the parent is killed', async () => {
    const own = await mkdtemp(path.join(os.tmpdir(), 'mq-own-dir-'));
    try {
      const script = `const { EmbeddedBroker } = await import(${JSON.stringify(compiled)});
        const b = await EmbeddedBroker.start({ dataDir: ${JSON.stringify(own)} });
        console.log(b.pid);
        process.kill(process.pid, 'SIGKILL');`;
      const r = await execa(process.execPath, ['--input-type=module', '-e', script], { reject: false });
      const pid = Number(r.stdout.trim());
      expect(await waitUntil(() => !alive(pid), 15_000)).toBe(true);
      expect(existsSync(path.join(own, 'meta.json'))).toBe(true);
    } finally {
      await rm(own, { recursive: true, force: true });
    }
  });

  it('is not stopped by a SIGINT sent to the parent process group', async () => {
    const script = `const { EmbeddedBroker } = await import(${JSON.stringify(compiled)});
      const b = await EmbeddedBroker.start({});
      console.log(b.pid);
      process.on('SIGINT', async () => {
        const pid = b.pid;
        let alive = true;
        try { process.kill(pid, 0); } catch { alive = false; }
        console.log(alive ? 'broker-alive' : 'broker-gone');
        await b.close();
        process.exit(0);
      });`;
    const child = execa(process.execPath, ['--input-type=module', '-e', script], {
      reject: false,
      detached: true,
      buffer: true,
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    expect(await waitUntil(() => /^\d+/m.test(out), 20_000)).toBe(true);
    process.kill(-child.pid!, 'SIGINT'); // the whole process group, as a terminal's Ctrl-C
    await child;
    expect(out).toContain('broker-alive');
  });
});
