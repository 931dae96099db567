import { Args, Command, Flags } from '@oclif/core';
import { PEER_KINDS, type PeerKind, stopPeers } from '../../src/tools/peers/index.js';

export default class PeersStop extends Command {
  static override summary = 'Stop local servers started by mq peers start, and remove their data.';
  static override description =
    `Stops every server mq peers start recorded in the state dir ($MQ_PEERS_DIR, else
<tmp>/mq-peers), or those of one kind / on one port: SIGTERM, then SIGKILL after --timeout.
A pid is signalled only while it is still that server. Exit code 0 (also when nothing ran).`;

  static override examples = [
    '<%= config.bin %> peers stop',
    '<%= config.bin %> peers stop rabbitmq --port 5672 --keep-data',
  ];

  static override args = {
    kind: Args.string({ description: 'only this kind of server', options: [...PEER_KINDS] }),
  };

  static override flags = {
    port: Flags.integer({ description: 'only the server on this port' }),
    'keep-data': Flags.boolean({ description: 'leave the data dir in place' }),
    timeout: Flags.integer({ description: 'seconds to wait for a clean stop before SIGKILL', default: 30 }),
    json: Flags.boolean({ description: 'print what was stopped as JSON' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(PeersStop);
    const stopped = await stopPeers({
      kind: args.kind as PeerKind | undefined,
      port: flags.port,
      keepData: flags['keep-data'],
      timeoutMs: flags.timeout * 1000,
    });
    if (flags.json) this.log(JSON.stringify(stopped, null, 2));
    else if (stopped.length === 0) this.log('no server started by mq peers to stop');
    else {
      for (const s of stopped) {
        const how = s.outcome === 'gone' ? 'was not running' : s.outcome;
        this.log(`${s.kind} ${s.url} pid ${s.pid}: ${how}${s.removed ? ', data removed' : ''}`);
      }
    }
  }
}
