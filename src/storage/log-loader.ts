/**
 * LogLoader: what a partition directory holds, turned at open into segments that can be trusted.
 * Recovery is a series of numbered passes (after Kafka's LogLoader):
 *
 *   1. List the directory: remove leftovers of interrupted atomic writes (*.tmp) and index files
 *      whose .log is gone (a segment deletion cut short).
 *   2. Open every segment in offset order and load its index files, sanity-checked against the
 *      .log (entry sizes, order, positions inside the file, the last entry naming the batch that
 *      is really there). Indexes are never checksummed; ones that do not fit are rebuilt.
 *   3. Recover. After an unclean shutdown (no clean-shutdown marker) every segment from the one
 *      holding the recovery point to the end is re-validated batch by batch: whole batch, magic,
 *      CRC-32C, record count, and offsets: inside a segment each batch starts right after the
 *      previous one (the first at the segment's base offset), as appends write them; between
 *      segments offsets may only jump up. The base offset is outside the CRC, so contiguity is
 *      what catches a damaged one. The file is truncated at the first invalid batch and every
 *      later segment deleted, each logged at warn with what was cut and why. Indexes are rebuilt
 *      on the way.
 *      Segments below the recovery point, and all of them after a clean shutdown, are trusted;
 *      those whose indexes failed pass 2 are rebuilt (and cut, if needed) on their own.
 *   4. Find the log end: after a clean shutdown, walk the active segment's batch headers from its
 *      last index entry (a tail that does not walk cleanly is recovered as in pass 3).
 *   5. Make it durable: sync what recovery changed, create the first segment of an empty log, and
 *      move the recovery point up to the active segment, since everything below is now verified.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import {
  BATCH_HEADER_SIZE,
  batchBaseOffset,
  batchLastOffsetDelta,
  batchMaxTimestamp,
  batchSize,
  LOG_OVERHEAD,
  validateBatch,
} from '../protocol/record-batch.js';
import { fsyncDir, readFileIfExists, removeFile } from './durable-files.js';
import { storageIoError } from './errors.js';
import type { LogConfig } from './log-config.js';
import { LOG_FILE_SUFFIX, parseSegmentFileName, TEMP_FILE_SUFFIX } from './log-file-names.js';
import { MAX_RELATIVE_OFFSET, OffsetIndex } from './offset-index.js';
import { readRecoveryPoint, writeRecoveryPoint } from './recovery-point.js';
import { Segment } from './segment.js';
import type { StorageIo } from './storage-io.js';
import { TimeIndex } from './time-index.js';

/** Bytes read at a time while re-validating a segment. */
const RECOVERY_CHUNK = 1024 * 1024;

export interface LoadOptions {
  dir: string;
  config: LogConfig;
  logger: Logger;
  /** True only when the data dir had a clean-shutdown marker. */
  cleanShutdown: boolean;
  io: StorageIo;
}

export interface LoadedLog {
  /** In offset order; never empty; the last one is the active segment. */
  segments: Segment[];
  recoveryPoint: number;
}

export async function loadLog(opts: LoadOptions): Promise<LoadedLog> {
  const opened: Segment[] = [];
  try {
    return await load(opts, opened);
  } catch (err) {
    for (const seg of opened) seg.close(); // no fds leak from a log that failed to open
    throw err;
  }
}

async function load(opts: LoadOptions, opened: Segment[]): Promise<LoadedLog> {
  const { dir, logger, config, io } = opts;

  // Pass 1: list the directory.
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw storageIoError(err, 'listing', dir);
  }
  const logBases = new Set<number>();
  const indexFiles: { name: string; baseOffset: number }[] = [];
  for (const name of names) {
    if (name.endsWith(TEMP_FILE_SUFFIX)) {
      await removeFile(path.join(dir, name));
      continue;
    }
    const parsed = parseSegmentFileName(name);
    if (!parsed) continue;
    if (parsed.suffix === LOG_FILE_SUFFIX) logBases.add(parsed.baseOffset);
    else indexFiles.push({ name, baseOffset: parsed.baseOffset });
  }
  for (const f of indexFiles) {
    if (logBases.has(f.baseOffset)) continue;
    logger.info({ file: f.name }, 'removing an index file whose segment is gone');
    await removeFile(path.join(dir, f.name));
  }

  // Pass 2: open the segments; load the indexes of those recovery will not rebuild anyway.
  let segments: Segment[] = [];
  for (const base of [...logBases].sort((a, b) => a - b)) {
    segments.push(Segment.open(dir, base, config.indexIntervalBytes, io));
    opened.push(segments[segments.length - 1]);
  }
  const recoveryPoint = await readRecoveryPoint(dir, logger);
  let firstUnflushed = segments.length;
  if (!opts.cleanShutdown && segments.length > 0) {
    firstUnflushed = 0;
    for (let i = 0; i < segments.length; i++) if (segments[i].baseOffset <= recoveryPoint) firstUnflushed = i;
  }
  const badIndexes = new Set<Segment>();
  for (const seg of segments.slice(0, firstUnflushed)) {
    const problem = await loadIndexes(seg);
    if (problem !== null) {
      badIndexes.add(seg);
      logger.warn({ file: seg.logPath, reason: problem }, 'index files do not fit the log; rebuilding them');
    }
  }

  // Pass 3: recover (and, for a clean active segment, pass 4: walk its tail).
  const recovered = new Set<Segment>();
  if (firstUnflushed < segments.length) {
    logger.info(
      { recoveryPoint, segments: segments.length - firstUnflushed },
      'no clean shutdown: re-validating the log from the recovery point',
    );
  }
  for (let i = 0; i < firstUnflushed; i++) {
    const seg = segments[i];
    const last = i === segments.length - 1;
    const tailProblem = last && !badIndexes.has(seg) ? await walkTail(seg) : null;
    if (tailProblem !== null) {
      logger.warn(
        { file: seg.logPath, reason: tailProblem },
        'the active segment does not end cleanly; re-validating it',
      );
    }
    if (badIndexes.has(seg) || tailProblem !== null) {
      await recoverSegment(seg, logger);
      recovered.add(seg);
    } else if (!last) {
      seg.nextOffset = segments[i + 1].baseOffset;
    }
  }
  for (let i = firstUnflushed; i < segments.length; i++) {
    const seg = segments[i];
    const prevEnd = i > firstUnflushed ? segments[i - 1].nextOffset : seg.baseOffset;
    let cut = seg.baseOffset < prevEnd;
    if (cut) {
      logger.warn(
        { file: seg.logPath, expected: prevEnd },
        'recovery: segment starts below the end of the previous one',
      );
    } else {
      cut = await recoverSegment(seg, logger);
      recovered.add(seg);
    }
    if (cut) {
      const from = seg.baseOffset < prevEnd ? i : i + 1;
      for (const gone of segments.slice(from)) {
        logger.warn(
          { file: gone.logPath, baseOffset: gone.baseOffset, bytesCut: gone.size },
          'recovery: deleting a segment after the invalid tail',
        );
        await gone.delete();
        recovered.delete(gone);
      }
      segments = segments.slice(0, from);
      break;
    }
  }

  // Pass 5: make it durable.
  if (segments.length === 0) {
    segments = [Segment.create(dir, 0, config.indexIntervalBytes, io, Date.now())];
    opened.push(segments[0]);
    recovered.add(segments[0]);
  }
  for (const seg of recovered) await seg.flush();
  const active = segments[segments.length - 1];
  let point = recoveryPoint;
  if (recovered.size > 0 || point < active.baseOffset) {
    try {
      await fsyncDir(dir);
    } catch (err) {
      throw storageIoError(err, 'fsync of', dir);
    }
    // Everything below the active segment is verified and synced now; a lower point is also safe.
    point = active.baseOffset;
    await writeRecoveryPoint(dir, point);
  }
  return { segments, recoveryPoint: point };
}

/** Loads a segment's index files; returns why they cannot be trusted, or null. */
async function loadIndexes(seg: Segment): Promise<string | null> {
  if (seg.size === 0) return null;
  const offsetBytes = await readFileIfExists(seg.indexes.indexPath);
  const timeBytes = await readFileIfExists(seg.indexes.timeIndexPath);
  if (offsetBytes === null || timeBytes === null) return 'an index file is missing';
  const offsetIndex = OffsetIndex.fromBytes(seg.baseOffset, offsetBytes, seg.size);
  if (typeof offsetIndex === 'string') return offsetIndex;
  const timeIndex = TimeIndex.fromBytes(seg.baseOffset, timeBytes);
  if (typeof timeIndex === 'string') return timeIndex;
  const last = offsetIndex.entries - 1;
  if (last >= 0) {
    const position = offsetIndex.positionAt(last);
    const expected = offsetIndex.offsetAt(last);
    let found = -1;
    try {
      await seg.walk(position, seg.size, (buf, p) => {
        found = batchBaseOffset(buf, p);
        return true;
      });
    } catch (err) {
      return (err as Error).message;
    }
    if (found !== expected)
      return `last index entry says offset ${expected} is at ${position}, the log has ${found}`;
  }
  seg.indexes.adopt(offsetIndex, timeIndex);
  return null;
}

/**
 * Books the batches after the last index entry of a cleanly closed active segment. Returns why
 * the tail is not a clean run of batch headers (then the caller recovers the segment), or null.
 */
async function walkTail(seg: Segment): Promise<string | null> {
  const start = seg.indexes.rewindToLastEntry();
  seg.nextOffset = start.offset;
  let expected = start.offset;
  let problem: string | null = null;
  try {
    await seg.walk(start.position, seg.size, (buf, p, filePos) => {
      const size = batchSize(buf, p);
      const base = batchBaseOffset(buf, p);
      if (size < BATCH_HEADER_SIZE || filePos + size > seg.size || base !== expected) {
        problem = `batch at position ${filePos} (offset ${base}, ${size} bytes) does not follow offset ${expected}`;
        return true;
      }
      const lastOffset = base + batchLastOffsetDelta(buf, p);
      seg.trackBatch(filePos, base, lastOffset, batchMaxTimestamp(buf, p), size);
      expected = lastOffset + 1;
      return false;
    });
  } catch (err) {
    problem = (err as Error).message;
  }
  return problem;
}

/**
 * Re-validates every batch of a segment and rebuilds its indexes; truncates the file at the
 * first invalid batch. Returns true when something was cut.
 */
async function recoverSegment(seg: Segment, logger: Logger): Promise<boolean> {
  seg.resetIndexes();
  const fileSize = seg.size;
  let chunk: Buffer = Buffer.alloc(0);
  let chunkStart = 0;
  const ensure = async (from: number, length: number) => {
    if (from >= chunkStart && from + length <= chunkStart + chunk.length) return;
    chunk = await seg.readRange(from, Math.min(fileSize - from, Math.max(length, RECOVERY_CHUNK)));
    chunkStart = from;
  };
  let pos = 0;
  let expected = seg.baseOffset;
  while (pos < fileSize) {
    const left = fileSize - pos;
    await ensure(pos, Math.min(left, BATCH_HEADER_SIZE));
    let p = pos - chunkStart;
    const declared = left >= LOG_OVERHEAD ? LOG_OVERHEAD + chunk.readInt32BE(p + 8) : 0;
    const available = Math.min(left, Math.max(declared, BATCH_HEADER_SIZE));
    await ensure(pos, available);
    p = pos - chunkStart;
    let reason = validateBatch(chunk, p, p + available);
    let lastOffset = 0;
    if (reason === null) {
      const base = batchBaseOffset(chunk, p);
      lastOffset = base + batchLastOffsetDelta(chunk, p);
      if (base !== expected)
        reason = `batch offset ${base} does not follow the previous batch (expected ${expected})`;
      else if (lastOffset - seg.baseOffset > MAX_RELATIVE_OFFSET)
        reason = `offset ${lastOffset} is too far from the segment's base`;
    }
    if (reason !== null) {
      seg.truncateTo(pos);
      logger.warn(
        { file: seg.logPath, position: pos, bytesCut: fileSize - pos, reason },
        'recovery: truncated the invalid tail of a segment',
      );
      return true;
    }
    const size = batchSize(chunk, p);
    seg.trackBatch(pos, batchBaseOffset(chunk, p), lastOffset, batchMaxTimestamp(chunk, p), size);
    expected = lastOffset + 1;
    pos += size;
  }
  return false;
}
