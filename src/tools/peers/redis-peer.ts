/**
 * redis-server on loopback, durable the way the issue compares it: AOF on, fsync every second
 * (`appendfsync everysec`: a crash loses up to about a second of acknowledged writes), no RDB
 * snapshots. Data and the log live in the peer's dir. Ready when PING answers PONG (a server
 * still loading its AOF answers -LOADING).
 */
import net from 'node:net';
import path from 'node:path';
import { redisServerBinary } from './binaries.js';
import type { PeerLauncher, PeerLayout } from './peer.js';

export const redisLauncher: PeerLauncher = {
  kind: 'redis',
  what: 'redis-server',
  readyTimeoutMs: 30_000,
  needle: 'redis-server',
  url: (l) => `redis://127.0.0.1:${l.port}`,
  async prepare() {
    return {};
  },
  spawnSpec(l: PeerLayout) {
    return {
      command: redisServerBinary(),
      args: [
        '--port',
        String(l.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        l.dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'everysec',
        '--save',
        '',
        '--daemonize',
        'no',
        '--logfile',
        path.join(l.dir, 'redis.log'),
      ],
    };
  },
  probe: (l) => redisPing(l.port),
};

/** One PING over a fresh connection: true on +PONG, false on -LOADING or no answer. */
export function redisPing(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean | Error) => {
      socket.destroy();
      if (ok instanceof Error) reject(ok);
      else resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', done);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => {
      reply += d.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}
