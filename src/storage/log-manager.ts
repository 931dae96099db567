/**
 * LogManager: every partition log of a data dir: loading them at start, creating and deleting
 * topics, the retention timer, flushing and closing them all.
 *
 * On disk (`<data-dir>/topics/`):
 *   <topic>-<partition>/                 one PartitionLog each (partition-log.ts)
 *   <topic>-<partition>/config.json      the topic's LogConfig overrides, when it has any
 *   <topic>-<partition>.<hex>-delete/    a partition being deleted; removed at the next start
 *
 * Invariants: a topic's partitions are 0..n-1 (a missing one is recreated empty at load, with a
 * warning); topic names are validated before any path is built from them, so nothing is created
 * outside topics/; a topic being created or deleted is busy, and a second create or delete of it
 * fails instead of racing; deletion renames the dirs before removing them, so a crash half-way
 * leaves `-delete` dirs, never a half-deleted topic.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { DataDir } from './data-dir.js';
import { fsyncDir, readFileIfExists, writeFileDurably } from './durable-files.js';
import {
  InvalidTopicError,
  StorageConfigError,
  StorageError,
  storageIoError,
  TopicExistsError,
  UnknownTopicError,
} from './errors.js';
import { type LogConfig, mergeLogConfig, validateLogConfig } from './log-config.js';
import {
  deletedPartitionDirName,
  isDeletedPartitionDir,
  parsePartitionDirName,
  partitionDirName,
  TOPIC_CONFIG_FILE,
} from './log-file-names.js';
import { PartitionLog } from './partition-log.js';
import type { StorageIo } from './storage-io.js';
import { validateTopicName } from './topic-name.js';

export interface LogManagerOptions {
  /** How often retention runs (Kafka's log.retention.check.interval.ms); default 5 minutes. */
  retentionCheckMs?: number;
  /** Upper bound for a topic's partition count; default 10,000. */
  maxPartitions?: number;
  io?: StorageIo;
}

/** Partitions of a new topic made at once. */
const CREATE_CONCURRENCY = 16;

export class LogManager {
  private readonly logs = new Map<string, PartitionLog[]>();
  private epoch = 0;
  private readonly busy = new Set<string>();
  private readonly timer: NodeJS.Timeout;
  private retentionRunning = false;
  private closed = false;

  private constructor(
    readonly dataDir: DataDir,
    readonly config: LogConfig,
    private readonly logger: Logger,
    private readonly options: LogManagerOptions,
  ) {
    this.timer = setInterval(
      () => void this.enforceRetention(Date.now()),
      options.retentionCheckMs ?? 300_000,
    );
    this.timer.unref();
  }

  static async open(
    dataDir: DataDir,
    config: LogConfig,
    logger: Logger,
    options: LogManagerOptions = {},
  ): Promise<LogManager> {
    validateLogConfig(config);
    const manager = new LogManager(dataDir, config, logger, options);
    try {
      await manager.load();
    } catch (err) {
      clearInterval(manager.timer);
      for (const logs of manager.logs.values()) for (const log of logs) log.abandon();
      throw err;
    }
    return manager;
  }

  private async load(): Promise<void> {
    const topicsDir = this.dataDir.topicsDir;
    let names: string[];
    try {
      names = await readdir(topicsDir);
    } catch (err) {
      throw storageIoError(err, 'listing', topicsDir);
    }
    const partitions = new Map<string, number[]>();
    for (const name of names) {
      if (isDeletedPartitionDir(name)) {
        this.logger.info({ dir: name }, 'finishing the deletion of a partition');
        await rm(path.join(topicsDir, name), { recursive: true, force: true });
        continue;
      }
      const parsed = parsePartitionDirName(name);
      if (parsed === null) {
        this.logger.warn({ dir: name }, 'ignoring an entry of the topics dir that is not a partition');
        continue;
      }
      const list = partitions.get(parsed.topic) ?? [];
      list.push(parsed.partition);
      partitions.set(parsed.topic, list);
    }
    for (const [topic, found] of partitions) {
      const count = Math.max(...found) + 1;
      if (found.length !== count) {
        this.logger.warn(
          { topic, found: found.length, expected: count },
          'recreating missing partitions empty',
        );
      }
      const logs: PartitionLog[] = [];
      this.logs.set(topic, logs);
      for (let p = 0; p < count; p++) {
        const config = await this.readTopicConfig(topic, p);
        logs.push(await this.openLog(topic, p, config));
      }
    }
    this.logger.info({ topics: this.logs.size }, 'logs loaded');
  }

  private async readTopicConfig(topic: string, partition: number): Promise<LogConfig> {
    const file = path.join(this.dataDir.topicsDir, partitionDirName(topic, partition), TOPIC_CONFIG_FILE);
    const bytes = await readFileIfExists(file);
    if (bytes === null) return this.config;
    try {
      return mergeLogConfig(this.config, JSON.parse(bytes.toString('utf8')) as Partial<LogConfig>);
    } catch (err) {
      throw new StorageConfigError(`${file}: ${(err as Error).message}; fix or remove the file`);
    }
  }

  private openLog(topic: string, partition: number, config: LogConfig): Promise<PartitionLog> {
    return PartitionLog.open(this.dataDir.topicsDir, topic, partition, config, this.logger, {
      cleanShutdown: this.dataDir.wasCleanShutdown,
      io: this.options.io,
    });
  }

  /** Topic name -> partition count. */
  /** Changes whenever a topic is created or deleted: what caches of topic metadata key on. */
  get topicEpoch(): number {
    return this.epoch;
  }

  topics(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [topic, logs] of this.logs) out.set(topic, logs.length);
    return out;
  }

  getLog(topic: string, partition: number): PartitionLog | undefined {
    return this.logs.get(topic)?.[partition];
  }

  /** Creates a topic's partition logs; `overrides` replace fields of the broker's LogConfig. */
  async createTopic(name: string, partitions: number, overrides: Partial<LogConfig> = {}): Promise<void> {
    const reason = validateTopicName(name);
    if (reason !== null) throw new InvalidTopicError(name, reason);
    const max = this.options.maxPartitions ?? 10_000;
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > max) {
      throw new StorageError(
        `topic ${name}: partitions must be an integer in 1..${max}, got ${partitions}`,
        'INVALID_PARTITIONS',
      );
    }
    if (this.closed) throw new StorageError('the log manager is closed');
    if (this.logs.has(name)) throw new TopicExistsError(name);
    if (this.busy.has(name)) throw new TopicExistsError(name, 'is being created or deleted');
    const config = mergeLogConfig(this.config, overrides);
    const stored = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
    this.busy.add(name);
    const opened = new Array<PartitionLog | undefined>(partitions);
    try {
      // Partitions are made CREATE_CONCURRENCY at a time: each is a few files and syncs, and
      // one after the other a 1,000-partition topic took 5 s on an idle machine, 24 s on a busy one.
      let next = 0;
      let failure: unknown = null;
      const makeOne = async (p: number) => {
        const dir = path.join(this.dataDir.topicsDir, partitionDirName(name, p));
        if (Object.keys(stored).length > 0) {
          await mkdir(dir, { recursive: false }).catch((err) => {
            throw storageIoError(err, 'creating partition dir', dir);
          });
          await writeFileDurably(path.join(dir, TOPIC_CONFIG_FILE), `${JSON.stringify(stored)}\n`);
        }
        opened[p] = await this.openLog(name, p, config);
      };
      const worker = async () => {
        while (failure === null && next < partitions) {
          const p = next++;
          await makeOne(p).catch((err: unknown) => {
            failure ??= err;
          });
        }
      };
      await Promise.all(Array.from({ length: Math.min(CREATE_CONCURRENCY, partitions) }, worker));
      if (failure !== null) throw failure;
      await fsyncDir(this.dataDir.topicsDir);
    } catch (err) {
      for (let p = 0; p < partitions; p++) {
        const log = opened[p];
        if (log) await log.delete().catch(() => {});
        else
          await rm(path.join(this.dataDir.topicsDir, partitionDirName(name, p)), {
            recursive: true,
            force: true,
          });
      }
      throw err;
    } finally {
      this.busy.delete(name);
    }
    const logs = opened as PartitionLog[];
    this.logs.set(name, logs);
    this.epoch++;
    this.logger.info({ topic: name, partitions }, 'topic created');
    this.warnOnMetricCollision(name);
  }

  /**
   * 'a.b' and 'a_b' are distinct partitions here, but Kafka maps both to one metric name and
   * refuses the second; say so, as Kafka warns, so a setup that later moves to Kafka hears of it.
   */
  private warnOnMetricCollision(name: string): void {
    const key = name.replaceAll('.', '_');
    const other = [...this.logs.keys()].find((t) => t !== name && t.replaceAll('.', '_') === key);
    if (other === undefined) return;
    this.logger.warn(
      { topic: name, collidesWith: other },
      "topic names differ only in '.' and '_': distinct in mq, but they collide in Kafka's metric names and a Kafka cluster refuses the second",
    );
  }

  /** Drops a topic: its logs stop at once, their dirs are renamed `-delete`, then removed. */
  async deleteTopic(name: string): Promise<void> {
    const reason = validateTopicName(name);
    if (reason !== null) throw new InvalidTopicError(name, reason);
    const logs = this.logs.get(name);
    if (logs === undefined) throw new UnknownTopicError(name);
    this.logs.delete(name);
    this.epoch++;
    this.busy.add(name);
    try {
      const topicsDir = this.dataDir.topicsDir;
      const renamed: string[] = [];
      for (const log of logs) {
        log.abandon();
        const to = path.join(
          topicsDir,
          deletedPartitionDirName(name, log.partition, randomUUID().replaceAll('-', '')),
        );
        await rename(log.dir, to).catch((err) => {
          throw storageIoError(err, 'renaming', log.dir);
        });
        renamed.push(to);
      }
      await fsyncDir(topicsDir);
      for (const dir of renamed) await rm(dir, { recursive: true, force: true });
    } finally {
      this.busy.delete(name);
    }
    this.logger.info({ topic: name, partitions: logs.length }, 'topic deleted');
  }

  /** Runs retention on every log; returns the segments deleted. The timer calls it too. */
  async enforceRetention(nowMs: number): Promise<number> {
    if (this.retentionRunning || this.closed) return 0;
    this.retentionRunning = true;
    let deleted = 0;
    try {
      for (const logs of [...this.logs.values()]) {
        for (const log of logs) {
          try {
            deleted += await log.enforceRetention(nowMs);
          } catch (err) {
            this.logger.error(
              { topic: log.topic, partition: log.partition, err: (err as Error).message },
              'retention failed',
            );
          }
        }
      }
    } finally {
      this.retentionRunning = false;
    }
    return deleted;
  }

  async flushAll(): Promise<void> {
    for (const logs of this.logs.values()) await Promise.all(logs.map((log) => log.flush()));
  }

  /**
   * Closes every log, then the data dir: with the clean-shutdown marker only if every log closed
   * cleanly. Throws the first failure after closing everything it could.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    const results = await Promise.allSettled([...this.logs.values()].flat().map((log) => log.close()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) this.logger.error({ err: (failed.reason as Error).message }, 'a log did not close cleanly');
    await this.dataDir.close({ clean: failed === undefined });
    if (failed) throw failed.reason;
  }
}
