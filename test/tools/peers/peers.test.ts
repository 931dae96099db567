/**
 * Local servers for tests and `mq peers`, shown with redis-server (seconds to start; RabbitMQ's
 * start, kill and restart are covered by test/drivers/rabbitmq.test.ts and the CLI test):
 * attached peers with kill / restart / close, detached peers found and stopped by state file,
 * and clear failures.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  listPeers,
  PeerStartError,
  startDetachedPeer,
  startPeer,
  stopPeers,
} from '../../../src/tools/peers/index.js';
import { redisPing } from '../../../src/tools/peers/redis-peer.js';
import { isAlive } from '../../../src/tools/peers/server-process.js';
import { requireBinary } from '../../support/binaries.js';

const available = requireBinary('redis-server', 'apt-get install redis-server') !== null;

describe.skipIf(!available)('peers (redis-server)', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'mq-peers-test-'));
  });
  afterAll(async () => {
    await stopPeers({ root });
    await rm(root, { recursive: true, force: true });
  });

  it('starts on a free loopback port with AOF everysec, survives kill + restart, and close removes its dir', async () => {
    const peer = await startPeer('redis');
    expect(peer.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(await redisPing(peer.layout.port)).toBe(true);
    const info = JSON.parse(await readFile(path.join(peer.layout.dir, 'peer.json'), 'utf8'));
    expect(info).toMatchObject({ kind: 'redis', url: peer.url, pid: peer.pid, detached: false });
    const pid = peer.pid;
    await peer.kill();
    expect(peer.running).toBe(false);
    expect(isAlive(pid)).toBe(false);
    await expect(redisPing(peer.layout.port)).rejects.toThrow(/ECONNREFUSED/);
    await peer.restart();
    expect(await redisPing(peer.layout.port)).toBe(true);
    expect(existsSync(path.join(peer.layout.dir, 'appendonlydir'))).toBe(true);
    await peer.close();
    expect(existsSync(peer.layout.dir)).toBe(false);
  });

  it('detached peers are listed from their state files, refused twice on one port, and stopped', async () => {
    const info = await startDetachedPeer('redis', { root });
    expect(info.dir).toBe(path.join(root, `redis-${info.port}`));
    expect(await listPeers(root)).toMatchObject([{ kind: 'redis', port: info.port, running: true }]);
    await expect(startDetachedPeer('redis', { root, port: info.port })).rejects.toThrow(
      /already running on port \d+.*mq peers stop redis/,
    );
    expect(await stopPeers({ root, kind: 'rabbitmq' })).toEqual([]);
    const stopped = await stopPeers({ root, kind: 'redis' });
    expect(stopped).toMatchObject([{ kind: 'redis', pid: info.pid, outcome: 'stopped', removed: true }]);
    expect(isAlive(info.pid)).toBe(false);
    expect(await listPeers(root)).toEqual([]);
  });

  it('a peer that cannot start fails clearly: port in use, binary missing, server exits early', async () => {
    const taken = await startPeer('redis');
    try {
      const err = await startPeer('redis', { port: taken.layout.port, readyTimeoutMs: 10_000 }).catch(
        (e) => e,
      );
      expect(err).toBeInstanceOf(PeerStartError);
      expect(err.message).toMatch(/cannot start redis-server: port \d+ on 127\.0\.0\.1 is in use/);
    } finally {
      await taken.close();
    }
    const before = process.env.MQ_REDIS_SERVER;
    process.env.MQ_REDIS_SERVER = path.join(root, 'no-such-redis-server');
    try {
      await expect(startPeer('redis')).rejects.toThrow(PeerStartError);
      // A server that exits at once (here: a bad option) is reported with its output.
      process.env.MQ_REDIS_SERVER = 'false';
      await expect(startPeer('redis')).rejects.toThrow(/exited before it was ready/);
    } finally {
      if (before === undefined) delete process.env.MQ_REDIS_SERVER;
      else process.env.MQ_REDIS_SERVER = before;
    }
  });
});
