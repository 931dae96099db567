/**
 * Where the server binaries are: `MQ_REDIS_SERVER` / `MQ_RABBITMQ_SERVER` when set, else the
 * PATH plus the sbin directories Debian installs into (not always on a user's PATH).
 *
 * Debian's `rabbitmq-server` on the PATH is a wrapper that, run as root, re-runs the real script
 * as the `rabbitmq` user, who cannot write our temp dirs, and does not pass signals on. The real
 * script sits beside the wrapper's target, so we run that one.
 */
import { accessSync, constants, realpathSync } from 'node:fs';
import path from 'node:path';
import { PeerStartError } from './server-process.js';

const EXTRA_DIRS = ['/usr/sbin', '/usr/local/sbin', '/sbin'];

function onPath(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

export function redisServerBinary(): string {
  const found = process.env.MQ_REDIS_SERVER || onPath('redis-server');
  if (!found) {
    throw new PeerStartError(
      'redis-server not found: install it (apt-get install redis-server) or set MQ_REDIS_SERVER',
    );
  }
  return found;
}

export function rabbitmqServerBinary(): string {
  const found = process.env.MQ_RABBITMQ_SERVER || onPath('rabbitmq-server');
  if (!found) {
    throw new PeerStartError(
      'rabbitmq-server not found: install it (apt-get install rabbitmq-server) or set MQ_RABBITMQ_SERVER',
    );
  }
  const real = realpathSync(found);
  if (path.basename(real) === 'rabbitmq-script-wrapper')
    return path.join(path.dirname(real), 'rabbitmq-server');
  return real;
}
