import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDir } from '../../src/storage/data-dir.js';
import { DataDirLockedError, StorageError } from '../../src/storage/errors.js';
import { capturingLogger, silent, tempDir } from './fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(() => cleanup());

/** A live process that is not us, for the lock file. */
function otherProcess(): Promise<{ pid: number; stop: () => void }> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  return new Promise((resolve) =>
    child.once('spawn', () => resolve({ pid: child.pid!, stop: () => child.kill('SIGKILL') })),
  );
}

/** A pid that is certainly dead: a process that already exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

describe('DataDir', () => {
  it('creates the layout and meta.json, and writes the clean-shutdown marker only on a clean close', async () => {
    const root = path.join(dir, 'data');
    const d = await DataDir.open(root, silent());
    expect(fs.existsSync(path.join(root, 'topics'))).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(root, 'meta.json'), 'utf8'))).toEqual({
      nodeId: 0,
      formatVersion: 1,
    });
    expect(fs.readFileSync(path.join(root, '.lock'), 'utf8').trim()).toBe(String(process.pid));
    expect(d.wasCleanShutdown).toBe(false);
    await d.close({ clean: true });
    expect(fs.existsSync(path.join(root, '.lock'))).toBe(false);
    expect(fs.existsSync(path.join(root, '.clean-shutdown'))).toBe(true);

    const again = await DataDir.open(root, silent());
    expect(again.wasCleanShutdown).toBe(true);
    expect(fs.existsSync(path.join(root, '.clean-shutdown'))).toBe(false); // removed at open
    await again.close(); // not clean: e.g. the logs failed to open
    const third = await DataDir.open(root, silent());
    expect(third.wasCleanShutdown).toBe(false);
    await third.close();
  });

  it('refuses a dir whose lock names a live process, naming the pid', async () => {
    const other = await otherProcess();
    try {
      fs.writeFileSync(path.join(dir, '.lock'), `${other.pid}\n`);
      const err = await DataDir.open(dir, silent()).catch((e) => e);
      expect(err).toBeInstanceOf(DataDirLockedError);
      expect(err.pid).toBe(other.pid);
      expect(err.message).toContain(`process ${other.pid}`);
      expect(fs.readFileSync(path.join(dir, '.lock'), 'utf8').trim()).toBe(String(other.pid));
    } finally {
      other.stop();
    }
  });

  it('takes over a stale lock (a dead pid, after kill -9) and says so', async () => {
    const pid = await deadPid();
    fs.writeFileSync(path.join(dir, '.lock'), `${pid}\n`);
    const cap = capturingLogger();
    const d = await DataDir.open(dir, cap.logger);
    expect(cap.find('warn', 'stale')[0]).toMatchObject({ pid });
    expect(fs.readFileSync(path.join(dir, '.lock'), 'utf8').trim()).toBe(String(process.pid));
    await d.close();
  });

  it('refuses a second open in the same process while the first is open', async () => {
    const d = await DataDir.open(dir, silent());
    await expect(DataDir.open(dir, silent())).rejects.toBeInstanceOf(DataDirLockedError);
    await d.close();
    const again = await DataDir.open(dir, silent());
    await again.close();
  });

  it('reports an unusable data dir clearly', async () => {
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, 'x');
    const err = await DataDir.open(path.join(file, 'data'), silent()).catch((e) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect(err.message).toMatch(/ENOTDIR|EEXIST/);
    expect(err.message).toMatch(/--data-dir/);
  });

  it('refuses meta.json from a newer format or another node', async () => {
    fs.writeFileSync(path.join(dir, 'meta.json'), '{"nodeId":0,"formatVersion":2}');
    await expect(DataDir.open(dir, silent())).rejects.toThrow(/newer mq/);
    fs.writeFileSync(path.join(dir, 'meta.json'), '{"nodeId":3,"formatVersion":1}');
    await expect(DataDir.open(dir, silent(), { nodeId: 1 })).rejects.toThrow(/belongs to node 3/);
    fs.writeFileSync(path.join(dir, 'meta.json'), 'not json');
    await expect(DataDir.open(dir, silent())).rejects.toThrow(/not valid JSON/);
    expect(fs.existsSync(path.join(dir, '.lock'))).toBe(false); // a failed open releases the lock
  });
});
