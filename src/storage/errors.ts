/**
 * Errors of the storage engine, all in one module. Every error carries `code`, the Kafka error
 * the broker answers with (a name from protocol/errors.ts), `canRetry` as Kafka defines it for
 * that code, and `cause` when an fs call failed underneath. Errors a user can act on (a locked or
 * unwritable data dir, a full disk, a bad flag) say what to try next in their message.
 */
import { ErrorCode, type ErrorName, isRetriable } from '../protocol/errors.js';

export class StorageError extends Error {
  override name = 'StorageError';
  constructor(
    message: string,
    readonly code: ErrorName = 'KAFKA_STORAGE_ERROR',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** The numeric Kafka error code for `code`. */
  get errorCode(): number {
    return ErrorCode[this.code];
  }

  get canRetry(): boolean {
    return isRetriable(this.errorCode);
  }
}

/** A fetch or lookup outside [logStartOffset, logEndOffset]. */
export class OffsetOutOfRangeError extends StorageError {
  override name = 'OffsetOutOfRangeError';
  constructor(
    readonly offset: number,
    readonly logStartOffset: number,
    readonly logEndOffset: number,
    where: string,
  ) {
    super(
      `offset ${offset} is out of range [${logStartOffset}, ${logEndOffset}] for ${where}`,
      'OFFSET_OUT_OF_RANGE',
    );
  }
}

/** Another live process holds the data dir. */
export class DataDirLockedError extends StorageError {
  override name = 'DataDirLockedError';
  constructor(
    readonly dataDir: string,
    readonly pid: number | null,
    detail: string,
  ) {
    super(`data dir ${dataDir} is locked: ${detail}`, 'KAFKA_STORAGE_ERROR');
  }
}

/** A flag or config value the storage engine cannot use. */
export class StorageConfigError extends StorageError {
  override name = 'StorageConfigError';
  constructor(message: string) {
    super(message, 'INVALID_REQUEST');
  }
}

export class InvalidTopicError extends StorageError {
  override name = 'InvalidTopicError';
  constructor(
    readonly topic: string,
    reason: string,
  ) {
    super(
      `invalid topic name ${JSON.stringify(topic.length > 300 ? `${topic.slice(0, 300)}...` : topic)}: ${reason}`,
      'INVALID_TOPIC_EXCEPTION',
    );
  }
}

export class TopicExistsError extends StorageError {
  override name = 'TopicExistsError';
  constructor(
    readonly topic: string,
    detail = 'already exists',
  ) {
    super(`topic ${topic} ${detail}`, 'TOPIC_ALREADY_EXISTS');
  }
}

export class UnknownTopicError extends StorageError {
  override name = 'UnknownTopicError';
  constructor(readonly topic: string) {
    super(`unknown topic ${topic}`, 'UNKNOWN_TOPIC_OR_PARTITION');
  }
}

/** What a user can do about the fs errors a broker meets in practice. */
const FS_HINTS: Record<string, string> = {
  ENOSPC:
    'no space left on the device; free some space, lower --retention-bytes/--retention-ms, or move --data-dir to a larger disk',
  EDQUOT: 'disk quota exceeded; free some space or move --data-dir',
  EACCES: 'permission denied; make the data dir writable by this user or choose another --data-dir',
  EPERM: 'operation not permitted; make the data dir writable by this user or choose another --data-dir',
  EROFS: 'the file system is read-only; choose another --data-dir',
  EMFILE: 'too many open files; raise the limit (ulimit -n) or use fewer partitions',
  ENFILE: 'the system is out of file handles; raise fs.file-max or use fewer partitions',
  ENOTDIR: 'a path component is a file, not a directory; choose another --data-dir',
  ENAMETOOLONG: 'the file name is too long for this file system; use a shorter topic name',
  EIO: 'the device reported an I/O error; check the disk',
};

/** The errnos of a full disk, a quota or a file-size limit: a write failed for want of room. */
const OUT_OF_SPACE = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

/** True when `err`, or the fs error it wraps, failed for want of room (nothing about the data is unknown). */
export function isOutOfSpace(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (OUT_OF_SPACE.has((e as NodeJS.ErrnoException).code ?? '')) return true;
  }
  return false;
}

/** Wraps a failed fs call as a StorageError whose message names the file, the errno and a next step. */
export function storageIoError(err: unknown, action: string, path: string): StorageError {
  const errno = (err as NodeJS.ErrnoException | undefined)?.code;
  const hint = errno ? FS_HINTS[errno] : undefined;
  const what = errno ?? (err instanceof Error ? err.message : String(err));
  return new StorageError(
    `${action} ${path} failed (${what})${hint ? `: ${hint}` : ''}`,
    'KAFKA_STORAGE_ERROR',
    {
      cause: err,
    },
  );
}
