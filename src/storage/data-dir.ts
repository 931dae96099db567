/**
 * DataDir: the broker's data directory, its identity and its lock.
 *
 * On disk:
 *   <data-dir>/meta.json         {"nodeId":0,"formatVersion":1}; written once, checked at open
 *   <data-dir>/.lock             the pid of the process holding the dir
 *   <data-dir>/.clean-shutdown   present only between a clean close and the next open
 *   <data-dir>/topics/           the partition logs (log-manager.ts)
 *
 * Invariants: one process at a time holds the dir (the lock file is created atomically with its
 * pid already in it, by link(2) from a temporary file, so nobody ever sees an empty lock); a lock
 * whose pid is dead (a kill -9) is taken over and logged; the clean-shutdown marker is removed,
 * durably, before anything else is written, so a crash at any later point is seen as unclean.
 * The marker is written by close({ clean: true }) only, which the log manager passes once every
 * log was flushed and closed; a broker that failed on the way closes without it.
 */
import fs from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { fsyncDir, readFileIfExists, removeFile, writeFileDurably } from './durable-files.js';
import { DataDirLockedError, StorageConfigError, StorageError, storageIoError } from './errors.js';
import { CLEAN_SHUTDOWN_FILE, LOCK_FILE, META_FILE, TEMP_FILE_SUFFIX, TOPICS_DIR } from './log-file-names.js';

export const FORMAT_VERSION = 1;

export interface DataDirMeta {
  nodeId: number;
  formatVersion: number;
}

export interface DataDirOptions {
  /** Node id for a new data dir; an existing one must match it when given. */
  nodeId?: number;
}

/** Data dirs this process holds: a second open in the same process is refused as well. */
const held = new Set<string>();

export class DataDir {
  private open = true;

  private constructor(
    readonly path: string,
    readonly meta: DataDirMeta,
    /** The previous run closed cleanly: logs may trust their indexes. */
    readonly wasCleanShutdown: boolean,
    private readonly logger: Logger,
  ) {}

  get topicsDir(): string {
    return path.join(this.path, TOPICS_DIR);
  }

  static async open(dir: string, logger: Logger, options: DataDirOptions = {}): Promise<DataDir> {
    const root = path.resolve(dir);
    if (held.has(root)) throw new DataDirLockedError(root, process.pid, 'this process already has it open');
    try {
      await mkdir(root, { recursive: true });
    } catch (err) {
      throw storageIoError(err, 'creating data dir', root);
    }
    acquireLock(root, logger);
    held.add(root);
    try {
      await mkdir(path.join(root, TOPICS_DIR), { recursive: true }).catch((err) => {
        throw storageIoError(err, 'creating', path.join(root, TOPICS_DIR));
      });
      const meta = await readOrCreateMeta(root, options.nodeId);
      const marker = path.join(root, CLEAN_SHUTDOWN_FILE);
      const clean = fs.existsSync(marker);
      if (clean) {
        await removeFile(marker);
        await fsyncDir(root);
      }
      logger.info({ dataDir: root, nodeId: meta.nodeId, cleanShutdown: clean }, 'data dir opened');
      return new DataDir(root, meta, clean, logger);
    } catch (err) {
      held.delete(root);
      releaseLock(root);
      throw err instanceof StorageError ? err : storageIoError(err, 'opening data dir', root);
    }
  }

  /**
   * Releases the lock. With `clean`, first writes the clean-shutdown marker, so the next open
   * trusts the logs' indexes; pass it only after every log was flushed and closed.
   */
  async close(options: { clean?: boolean } = {}): Promise<void> {
    if (!this.open) return;
    this.open = false;
    try {
      if (options.clean)
        await writeFileDurably(path.join(this.path, CLEAN_SHUTDOWN_FILE), `${new Date().toISOString()}\n`);
    } catch (err) {
      throw storageIoError(err, 'writing the clean-shutdown marker in', this.path);
    } finally {
      releaseLock(this.path);
      held.delete(this.path);
      this.logger.info({ dataDir: this.path, clean: options.clean === true }, 'data dir closed');
    }
  }
}

function acquireLock(root: string, logger: Logger): void {
  const lock = path.join(root, LOCK_FILE);
  const tmp = `${lock}.${process.pid}${TEMP_FILE_SUFFIX}`;
  try {
    fs.writeFileSync(tmp, `${process.pid}\n`);
  } catch (err) {
    throw storageIoError(err, 'writing a lock file in', root);
  }
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        fs.linkSync(tmp, lock);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw storageIoError(err, 'creating', lock);
      }
      const text = readText(lock);
      const pid = /^\d+$/.test(text) ? Number(text) : null;
      if (pid !== null && pid !== process.pid && isAlive(pid)) {
        throw new DataDirLockedError(
          root,
          pid,
          `process ${pid} holds it (${lock}). Stop that broker, or use another --data-dir; if no broker is running, remove the lock file.`,
        );
      }
      logger.warn(
        { lock, pid, contents: pid === null ? text.slice(0, 40) : undefined },
        'taking over a stale data dir lock',
      );
      fs.rmSync(lock, { force: true });
    }
    throw new DataDirLockedError(
      root,
      null,
      `could not take the lock ${lock}; another process keeps creating it`,
    );
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

function releaseLock(root: string): void {
  const lock = path.join(root, LOCK_FILE);
  try {
    if (readText(lock) === String(process.pid)) fs.rmSync(lock, { force: true });
  } catch {
    // A lock we cannot read or remove is stale once we exit; the next open takes it over.
  }
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

/** kill(pid, 0): ESRCH means gone; EPERM means alive but someone else's. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readOrCreateMeta(root: string, nodeId: number | undefined): Promise<DataDirMeta> {
  const file = path.join(root, META_FILE);
  const bytes = await readFileIfExists(file);
  if (bytes === null) {
    const meta: DataDirMeta = { nodeId: nodeId ?? 0, formatVersion: FORMAT_VERSION };
    await writeFileDurably(file, `${JSON.stringify(meta)}\n`);
    return meta;
  }
  let meta: DataDirMeta;
  try {
    meta = JSON.parse(bytes.toString('utf8')) as DataDirMeta;
  } catch {
    throw new StorageError(`${file} is not valid JSON: restore it, or point --data-dir at another directory`);
  }
  if (!Number.isInteger(meta?.nodeId) || !Number.isInteger(meta?.formatVersion)) {
    throw new StorageError(
      `${file} lacks nodeId or formatVersion: restore it, or point --data-dir at another directory`,
    );
  }
  if (meta.formatVersion > FORMAT_VERSION) {
    throw new StorageError(
      `${root} was written by a newer mq (format ${meta.formatVersion}, this one reads ${FORMAT_VERSION}): upgrade mq or use another --data-dir`,
    );
  }
  if (nodeId !== undefined && meta.nodeId !== nodeId) {
    throw new StorageConfigError(
      `${root} belongs to node ${meta.nodeId}, not node ${nodeId}: use another --data-dir`,
    );
  }
  return meta;
}
