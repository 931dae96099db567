/**
 * rabbitmq-server on loopback as a foreground child, everything in the peer's dir:
 *
 *   <dir>/rabbitmq.conf       listener on 127.0.0.1:<port>, guest allowed (loopback only anyway),
 *                             classic queues in the v2 index format (recovers from a SIGKILL)
 *   <dir>/enabled_plugins     empty: no management plugin, faster start
 *   <dir>/rabbitmq-env.conf   empty: the system's env file must not rename the node
 *   <dir>/mnesia/             queues, messages, quorum logs; <node>.pid holds the VM's pid
 *   <dir>/log/                server logs
 *   <dir>/home/               HOME, for the Erlang cookie
 *
 * The Erlang distribution port is chosen free too (the default, AMQP port + 20000, is out of
 * range for high ports and clashes between servers). The node is `mq-<hex>@localhost`, kept
 * across restarts so the same mnesia dir is recovered. Ready once an AMQP connection opens; a
 * fresh node takes several seconds (10-20 s on two slow cores). epmd, which Erlang starts on
 * first use, is shared by every node on the machine and is left running.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { connect } from 'amqplib';
import { rabbitmqServerBinary } from './binaries.js';
import type { PeerLauncher, PeerLayout } from './peer.js';
import { freePort } from './ports.js';

export const rabbitmqLauncher: PeerLauncher = {
  kind: 'rabbitmq',
  what: 'rabbitmq-server',
  readyTimeoutMs: 120_000,
  needle: 'rabbit',
  url: (l) => `amqp://127.0.0.1:${l.port}`,
  async prepare(l) {
    const distPort = await freePort();
    const nodeName = `mq-${randomBytes(4).toString('hex')}@localhost`;
    await Promise.all(['mnesia', 'log', 'home'].map((d) => mkdir(path.join(l.dir, d), { recursive: true })));
    await writeFile(
      path.join(l.dir, 'rabbitmq.conf'),
      [
        `listeners.tcp.default = 127.0.0.1:${l.port}`,
        'loopback_users = none',
        'log.console = false',
        'log.file.level = info',
        // Classic queues in the v2 index format (3.10+; the default from 3.12). Recovering a v1
        // queue index that a SIGKILL tore crashes 3.10's index walker (rabbit_queue_index:
        // segment_entries_foldr) and the node never finishes booting.
        'classic_queue.default_version = 2',
        '',
      ].join('\n'),
    );
    await writeFile(path.join(l.dir, 'enabled_plugins'), '[].\n');
    await writeFile(path.join(l.dir, 'rabbitmq-env.conf'), '');
    return { nodeName, distPort };
  },
  spawnSpec(l: PeerLayout) {
    const d = (name: string) => path.join(l.dir, name);
    return {
      command: rabbitmqServerBinary(),
      args: [],
      env: {
        ...process.env,
        HOME: d('home'),
        RABBITMQ_NODENAME: l.nodeName,
        RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
        RABBITMQ_NODE_PORT: String(l.port),
        RABBITMQ_DIST_PORT: String(l.distPort),
        RABBITMQ_MNESIA_BASE: d('mnesia'),
        RABBITMQ_LOG_BASE: d('log'),
        RABBITMQ_CONFIG_FILE: d('rabbitmq.conf'),
        RABBITMQ_ADVANCED_CONFIG_FILE: d('advanced.config'),
        RABBITMQ_CONF_ENV_FILE: d('rabbitmq-env.conf'),
        RABBITMQ_ENABLED_PLUGINS_FILE: d('enabled_plugins'),
        RABBITMQ_PID_FILE: d('rabbitmq.pid'),
      },
    };
  },
  async probe(l) {
    const conn = await connect(`amqp://127.0.0.1:${l.port}`, { timeout: 2000 });
    await conn.close();
    return true;
  },
};
