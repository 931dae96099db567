/**
 * `mq peers start` / `mq peers stop` end to end (compiled CLI, npm run build first): each kind
 * starts in the background on a free loopback port, the printed URL works with its driver after
 * the command has exited, and stop ends the server and removes its data. The state dir is a
 * temp dir (MQ_PEERS_DIR), so nothing else's servers are touched.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDriver } from '../../src/drivers/index.js';
import { packageRoot } from '../../src/tools/package-root.js';
import { type PeerInfo, stopPeers } from '../../src/tools/peers/index.js';
import { isAlive } from '../../src/tools/peers/server-process.js';
import { findBinary } from '../support/binaries.js';

let stateDir: string;
const cli = (args: string[]) =>
  execa(process.execPath, [path.join(packageRoot(), 'bin', 'run.js'), 'peers', ...args], {
    reject: false,
    env: { NO_COLOR: '1', MQ_PEERS_DIR: stateDir },
  });

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(os.tmpdir(), 'mq-peers-cli-'));
});
afterAll(async () => {
  await stopPeers({ root: stateDir });
  await rm(stateDir, { recursive: true, force: true });
}, 60_000);

describe('mq peers (compiled CLI)', () => {
  const kinds = [
    { kind: 'redis', scheme: 'redis', binary: 'redis-server' },
    { kind: 'rabbitmq', scheme: 'amqp', binary: 'rabbitmq-server' },
  ];
  for (const k of kinds) {
    it.skipIf(!process.env.CI && !findBinary(k.binary))(
      `start ${k.kind} --json prints a working URL and pid; stop ends it and removes its data`,
      async () => {
        const started = await cli(['start', k.kind, '--json']);
        expect(started.exitCode, started.stderr).toBe(0);
        const info = JSON.parse(started.stdout) as PeerInfo;
        expect(info.url).toMatch(new RegExp(`^${k.scheme}://127\\.0\\.0\\.1:\\d+$`));
        expect(info.dir).toBe(path.join(stateDir, `${k.kind}-${info.port}`));
        expect(isAlive(info.pid)).toBe(true);

        // The CLI has exited; the server is still there for the other commands.
        const driver = createDriver(k.kind, { brokers: info.url });
        expect(await driver.admin.createTopic('peers-cli', 2)).toBe(true);
        expect(await driver.admin.partitionCount('peers-cli')).toBe(2);
        await driver.close();

        const again = await cli(['start', k.kind, '--port', String(info.port)]);
        expect(again.exitCode).toBe(2);
        expect(again.stderr).toMatch(/already running on port/);

        const stopped = await cli(['stop', k.kind, '--json']);
        expect(stopped.exitCode, stopped.stderr).toBe(0);
        expect(JSON.parse(stopped.stdout)).toMatchObject([
          { kind: k.kind, pid: info.pid, outcome: 'stopped', removed: true },
        ]);
        expect(isAlive(info.pid)).toBe(false);
        const none = await cli(['stop', k.kind]);
        expect(none.stdout).toMatch(/no server started by mq peers to stop/);
      },
      180_000,
    );
  }

  it('refuses an unknown kind (exit 2)', async () => {
    const r = await cli(['start', 'kafka']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/Expected kafka to be one of: rabbitmq, redis/);
  });
});
