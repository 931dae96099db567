import { rm } from 'node:fs/promises';
import { Command, Flags } from '@oclif/core';
import { Broker } from '../src/broker/broker.js';
import { BrokerConfigError, defaultBrokerConfig } from '../src/broker/config.js';
import {
  parseBytes,
  parseBytesOrUnlimited,
  parseDuration,
  parseDurationOrUnlimited,
  UsageError,
} from '../src/cli/units.js';
import { createLogger, LOG_LEVELS } from '../src/log.js';
import {
  DataDirLockedError,
  formatFlushPolicy,
  parseFlushPolicy,
  StorageConfigError,
  StorageError,
} from '../src/storage/index.js';

export default class Serve extends Command {
  static override summary =
    'Run a local broker that speaks the Kafka protocol, storing partitions as file logs.';
  static override description = `Kafka clients (kcat/librdkafka, kafkajs, mq's own) work against it unchanged.
Flush policies: sync (fdatasync before the ack, shared by concurrent produces), os (page cache
before the ack; survives a process crash, not a power loss), async:<ms> (held in memory and
written every <ms>, acked first: a process crash loses up to <ms> of acknowledged messages).
SIGTERM/SIGINT stop it cleanly: in-flight requests finish, logs are flushed, exit 0.`;

  static override examples = [
    '<%= config.bin %> serve',
    '<%= config.bin %> serve --port 0 --json --data-dir /tmp/mq --flush os',
  ];

  static override flags = {
    'data-dir': Flags.string({
      description: 'where partitions, offsets and state live',
      default: '.mq-data',
    }),
    host: Flags.string({
      description: 'address to bind (loopback unless you say otherwise)',
      default: '127.0.0.1',
    }),
    port: Flags.integer({
      description: 'port to listen on; 0 picks a free one and prints it',
      default: 9092,
    }),
    'advertised-host': Flags.string({ description: 'host clients are told to connect to (default: --host)' }),
    'advertised-port': Flags.integer({
      description: 'port clients are told to connect to (default: --port)',
    }),
    flush: Flags.string({ description: 'flush policy: sync | os | async:<ms>', default: 'sync' }),
    'segment-bytes': Flags.string({ description: 'roll a segment at this size', default: '1GiB' }),
    'segment-ms': Flags.string({ description: 'roll a segment at this age', default: '7d' }),
    'retention-bytes': Flags.string({
      description: 'per-partition size kept; -1 = unlimited',
      default: '-1',
    }),
    'retention-ms': Flags.string({ description: 'age of data kept; -1 = unlimited', default: '7d' }),
    'default-partitions': Flags.integer({ description: 'partitions of auto-created topics', default: 1 }),
    'auto-create-topics': Flags.boolean({
      description: 'create topics named in Metadata requests',
      default: true,
      allowNo: true,
    }),
    'max-request-bytes': Flags.string({
      description: 'larger requests are refused unread',
      default: '100MiB',
    }),
    'max-request-elements': Flags.integer({
      description: 'array elements (topics, partitions, names) one request may carry in all',
      default: 100_000,
    }),
    'fetch-max-bytes': Flags.string({
      description: 'most record bytes one fetch response carries, whatever it asks for',
      default: '55MiB',
    }),
    'max-connections': Flags.integer({ description: 'connections beyond this are refused', default: 10_000 }),
    'max-in-flight': Flags.integer({ description: 'requests in progress per connection', default: 128 }),
    'idle-timeout': Flags.string({
      description: 'close connections idle this long; 0 = never',
      default: '10m',
    }),
    'log-level': Flags.string({ options: [...LOG_LEVELS], default: 'info' }),
    json: Flags.boolean({ description: 'print one JSON ready line with the address, for scripts' }),
    'stop-on-stdin-close': Flags.boolean({
      description:
        'stop cleanly when standard input closes (a parent process that runs the broker went away)',
      hidden: true,
    }),
    'remove-data-dir-on-stdin-close': Flags.boolean({
      description:
        'with --stop-on-stdin-close: remove the data dir after that stop (a temporary dir whose owner went away)',
      hidden: true,
      dependsOn: ['stop-on-stdin-close'],
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Serve);
    const log = createLogger(flags['log-level'] as (typeof LOG_LEVELS)[number]);
    const config = defaultBrokerConfig(flags['data-dir']);
    try {
      Object.assign(config, {
        host: flags.host,
        port: flags.port,
        advertisedHost: flags['advertised-host'],
        advertisedPort: flags['advertised-port'],
        defaultPartitions: flags['default-partitions'],
        autoCreateTopics: flags['auto-create-topics'],
        maxRequestBytes: parseBytes(flags['max-request-bytes'], '--max-request-bytes'),
        maxRequestElements: flags['max-request-elements'],
        fetchMaxBytes: parseBytes(flags['fetch-max-bytes'], '--fetch-max-bytes'),
        maxConnections: flags['max-connections'],
        maxInFlightPerConnection: flags['max-in-flight'],
        idleTimeoutMs: parseDuration(flags['idle-timeout'], '--idle-timeout'),
      });
      Object.assign(config.log, {
        flush: parseFlushPolicy(flags.flush),
        segmentBytes: parseBytes(flags['segment-bytes'], '--segment-bytes'),
        segmentMs: parseDuration(flags['segment-ms'], '--segment-ms'),
        retentionBytes: parseBytesOrUnlimited(flags['retention-bytes'], '--retention-bytes'),
        retentionMs: parseDurationOrUnlimited(flags['retention-ms'], '--retention-ms'),
      });
      const broker = await Broker.start(config, log);
      this.announce(broker, flags.json);
      const reason = await waitForSignal(broker, flags['stop-on-stdin-close']);
      // The owner of a temporary data dir (an embedded broker's tool) died without removing it.
      if (reason === STDIN_CLOSED && flags['remove-data-dir-on-stdin-close'])
        await rm(config.dataDir, { recursive: true, force: true });
      // Everything is flushed and closed; leftover handles (a stdin pipe, timers of clients
      // that went away) must not keep a stopped broker's process alive.
      process.exit(0);
    } catch (err) {
      if (
        err instanceof UsageError ||
        err instanceof BrokerConfigError ||
        err instanceof StorageConfigError ||
        err instanceof DataDirLockedError ||
        err instanceof StorageError ||
        (err as NodeJS.ErrnoException).code === 'EADDRINUSE' ||
        (err as NodeJS.ErrnoException).code === 'EACCES'
      ) {
        this.error((err as Error).message, { exit: 1 });
      }
      throw err;
    }
  }

  private announce(broker: Broker, json: boolean): void {
    const { host, port } = broker.address;
    const flush = formatFlushPolicy(broker.config.log.flush);
    if (json) {
      process.stdout.write(
        `${JSON.stringify({ event: 'ready', host, port, advertised: broker.advertised, dataDir: broker.config.dataDir, flush, pid: process.pid })}\n`,
      );
    } else {
      process.stdout.write(
        `mq serve listening on ${host}:${port} (data dir ${broker.config.dataDir}, flush ${flush})\n`,
      );
    }
  }
}

/**
 * Resolves after a clean stop on SIGTERM/SIGINT (a second signal exits at once), or, when asked,
 * when standard input closes: an embedded broker's parent holds that pipe, so a parent that dies
 * without cleaning up still takes its broker with it.
 */
const STDIN_CLOSED = 'standard input closed';

function waitForSignal(broker: Broker, stopOnStdinClose: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let stopping = false;
    const stop = (reason: string) => {
      if (stopping) process.exit(130);
      stopping = true;
      broker.log.info({ reason }, 'stopping');
      broker.stop().then(() => resolve(reason), reject);
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    if (stopOnStdinClose) {
      process.stdin.on('end', () => stop(STDIN_CLOSED));
      process.stdin.on('error', () => stop(STDIN_CLOSED));
      process.stdin.resume();
    }
  });
}
