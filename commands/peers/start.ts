import { Args, Command, Flags } from '@oclif/core';
import { parseDuration, UsageError } from '../../src/cli/units.js';
import {
  PEER_KINDS,
  type PeerKind,
  PeerStartError,
  peersRoot,
  startDetachedPeer,
} from '../../src/tools/peers/index.js';

export default class PeersStart extends Command {
  static override summary =
    'Start a local RabbitMQ or Redis server on loopback for the other commands to use.';
  static override description =
    `The server runs in the background on 127.0.0.1 (a free port unless --port), with its data,
logs and config in <state dir>/<kind>-<port> ($MQ_PEERS_DIR, else <tmp>/mq-peers). Redis runs
with appendonly yes, appendfsync everysec; RabbitMQ with no plugins. Prints the URL to pass as
--brokers with --driver rabbitmq|redis, and the pid. Stop it with mq peers stop.
Exit codes: 0 started, 2 could not start (not installed, port taken, not ready in time).`;

  static override examples = [
    '<%= config.bin %> peers start redis',
    '<%= config.bin %> peers start rabbitmq --port 5672 --json',
  ];

  static override args = {
    kind: Args.string({ description: 'which server', options: [...PEER_KINDS], required: true }),
  };

  static override flags = {
    port: Flags.integer({ description: 'port to listen on (default: a free one)', min: 1, max: 65535 }),
    timeout: Flags.string({ description: 'how long to wait for the server to be ready', default: '120s' }),
    json: Flags.boolean({ description: 'print {kind, url, pid, port, dir, ...} as JSON' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(PeersStart);
    try {
      const info = await startDetachedPeer(args.kind as PeerKind, {
        port: flags.port,
        readyTimeoutMs: parseDuration(flags.timeout, '--timeout'),
        root: peersRoot(),
      });
      if (flags.json) this.log(JSON.stringify(info, null, 2));
      else {
        this.log(`${info.kind} ${info.url} pid ${info.pid}`);
        this.log(`data in ${info.dir}; stop with: mq peers stop ${info.kind} --port ${info.port}`);
      }
    } catch (err) {
      if (err instanceof PeerStartError || err instanceof UsageError) this.error(err.message, { exit: 2 });
      throw err;
    }
  }
}
