/**
 * Broker: the data dir, the logs, the request router and the TCP server, started and stopped as
 * one. Stop order matters: stop accepting, let in-flight requests finish (their acks depend on
 * the flush policy), flush and close the logs, release the data-dir lock.
 */
import net from 'node:net';
import type { Logger } from '../log.js';
import { BATCH_HEADER_SIZE, LOG_OVERHEAD, readBatchHeader } from '../protocol/record-batch.js';
import { DataDir, LogManager, type PartitionLog, type StorageIo } from '../storage/index.js';
import type { BrokerConfig } from './config.js';
import { validateBrokerConfig } from './config.js';
import { Connection } from './connection.js';
import { FetchWaiters } from './fetch-waiters.js';
import { GroupCoordinator } from './groups/coordinator.js';
import { groupHandlers } from './handlers/group-handlers.js';
import { registerHandlers } from './handlers/index.js';
import { type LoggedBatch, ProducerStateManager } from './producers/producer-state.js';
import type { RequestRouter } from './request-router.js';

export interface BrokerAddress {
  host: string;
  port: number;
}

export interface BrokerStartOptions {
  /** The storage engine's file-system calls; tests slow or fail fdatasync through it. */
  io?: StorageIo;
}

export class Broker {
  private readonly connections = new Set<Connection>();
  private server: net.Server | null = null;
  private stopping: Promise<void> | null = null;
  private connLimitLogged = 0;
  readonly waiters = new FetchWaiters();
  address: BrokerAddress = { host: '', port: 0 };

  private constructor(
    readonly config: BrokerConfig,
    readonly log: Logger,
    readonly dataDir: DataDir,
    readonly logs: LogManager,
    readonly router: RequestRouter,
    readonly groups: GroupCoordinator,
    readonly producerState: ProducerStateManager,
  ) {}

  static async start(config: BrokerConfig, log: Logger, options: BrokerStartOptions = {}): Promise<Broker> {
    validateBrokerConfig(config);
    const dataDir = await DataDir.open(config.dataDir, log);
    const opened: { close(): Promise<void> }[] = [];
    try {
      const logs = await LogManager.open(dataDir, config.log, log, { io: options.io });
      opened.push(logs);
      const groups = new GroupCoordinator(config.dataDir, config.log.flush, log);
      await groups.open();
      opened.unshift(groups);
      const producers = new ProducerStateManager(config.dataDir, log);
      await producers.open();
      opened.unshift(producers);
      await recoverProducerState(logs, producers);

      let broker: Broker | undefined;
      const router = registerHandlers(() => broker!, log, config.maxRequestElements);
      for (const h of groupHandlers(() => ({
        nodeId: config.nodeId,
        advertised: () => broker!.advertised,
        groups,
        producers,
        log,
        logEndOffset: (t: string, p: number) => broker!.logs.getLog(t, p)?.logEndOffset,
      }))) {
        router.register(h);
      }
      broker = new Broker(config, log, dataDir, logs, router, groups, producers);
      await broker.listen();
      return broker;
    } catch (err) {
      for (const c of opened) await c.close().catch(() => {});
      if (opened.length === 0) await dataDir.close().catch(() => {});
      throw err;
    }
  }

  /** Host and port clients are told to connect to. */
  get advertised(): BrokerAddress {
    return {
      host: this.config.advertisedHost ?? this.address.host,
      port: this.config.advertisedPort ?? this.address.port,
    };
  }

  private listen(): Promise<void> {
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.config.host, port: this.config.port }, () => {
        server.off('error', reject);
        const a = server.address() as net.AddressInfo;
        this.address = { host: a.address, port: a.port };
        if (a.address === '0.0.0.0' || a.address === '::') {
          this.log.warn(
            { host: a.address },
            'listening on all interfaces: anyone who can reach this machine can read and write',
          );
        }
        this.log.info({ host: a.address, port: a.port, dataDir: this.config.dataDir }, 'broker listening');
        resolve();
      });
    });
  }

  private accept(socket: net.Socket): void {
    if (this.stopping) {
      socket.destroy();
      return;
    }
    if (this.connections.size >= this.config.maxConnections) {
      const now = Date.now();
      if (now - this.connLimitLogged > 1000) {
        this.connLimitLogged = now;
        this.log.warn(
          { maxConnections: this.config.maxConnections },
          'connection limit reached (--max-connections); refusing new connections',
        );
      }
      socket.destroy();
      return;
    }
    const conn = new Connection(
      socket,
      (frame, c) => this.router.dispatch(frame, c),
      {
        maxRequestBytes: this.config.maxRequestBytes,
        maxInFlight: this.config.maxInFlightPerConnection,
        idleTimeoutMs: this.config.idleTimeoutMs,
      },
      this.log,
      (c) => this.connections.delete(c),
    );
    this.connections.add(conn);
  }

  get isStopping(): boolean {
    return this.stopping !== null;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Graceful stop: no new connections, in-flight requests finish (up to timeoutMs), logs flushed and closed. */
  stop(timeoutMs = 10_000): Promise<void> {
    if (!this.stopping) this.stopping = this.doStop(timeoutMs);
    return this.stopping;
  }

  private async doStop(timeoutMs: number): Promise<void> {
    this.log.info('stopping: no new connections, finishing in-flight requests');
    const closed = new Promise<void>((resolve) => this.server?.close(() => resolve()));
    this.waiters.wakeAll();
    // Parked joins and syncs are answered (NOT_COORDINATOR) so a rebalance does not hold up the
    // stop; the offsets log is flushed and closed here too.
    await this.groups.close();
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && [...this.connections].some((c) => c.inFlight > 0)) {
      await new Promise((r) => setTimeout(r, 10));
    }
    for (const c of this.connections) c.close();
    await closed;
    await this.producerState.close();
    await this.logs.close();
    this.log.info('stopped cleanly');
  }
}

/**
 * Replays the batch headers each partition holds beyond what the producer-state snapshot covers
 * (after an unclean stop), so duplicates of batches written just before a crash are still caught.
 */
async function recoverProducerState(logs: LogManager, producers: ProducerStateManager): Promise<void> {
  for (const [topic, partitions] of logs.topics()) {
    for (let p = 0; p < partitions; p++) {
      const plog = logs.getLog(topic, p);
      if (!plog) continue;
      const from = Math.max(
        plog.logStartOffset,
        Math.min(producers.coveredOffset(topic, p), plog.logEndOffset),
      );
      const batches = from < plog.logEndOffset ? await idempotentBatchesFrom(plog, from) : [];
      producers.recoverPartition(topic, p, plog.logEndOffset, () => batches);
    }
  }
}

async function idempotentBatchesFrom(plog: PartitionLog, from: number): Promise<LoggedBatch[]> {
  const out: LoggedBatch[] = [];
  let offset = from;
  while (offset < plog.logEndOffset) {
    const { records } = await plog.read(offset, 1 << 20);
    if (records.length === 0) break;
    let pos = 0;
    while (pos + BATCH_HEADER_SIZE <= records.length) {
      const h = readBatchHeader(records, pos);
      if (pos + LOG_OVERHEAD + h.batchLength > records.length) break;
      const last = h.baseOffset + h.lastOffsetDelta;
      if (last >= from && h.producerId >= 0) out.push({ h, baseOffset: h.baseOffset });
      offset = last + 1;
      pos += LOG_OVERHEAD + h.batchLength;
    }
    if (pos === 0) break;
  }
  return out;
}
