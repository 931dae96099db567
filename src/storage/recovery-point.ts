/**
 * The recovery point of a partition: `<partition-dir>/recovery-point`, one decimal offset and a
 * newline. Every segment that ends at or below it is fully on disk, data and indexes, so after
 * an unclean shutdown recovery starts at the segment holding it instead of at the first one.
 * It only moves forward, and only after the fsyncs that justify it; a missing or unreadable
 * file means 0, which costs a longer recovery, never a wrong one.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import { readFileIfExists, writeFileDurably } from './durable-files.js';
import { RECOVERY_POINT_FILE } from './log-file-names.js';

export async function readRecoveryPoint(dir: string, logger: Logger): Promise<number> {
  const file = path.join(dir, RECOVERY_POINT_FILE);
  const bytes = await readFileIfExists(file);
  if (bytes === null) return 0;
  const text = bytes.toString('utf8').trim();
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) {
    logger.warn({ file, contents: text.slice(0, 40) }, 'unreadable recovery point; recovering the whole log');
    return 0;
  }
  return value;
}

export async function writeRecoveryPoint(dir: string, offset: number): Promise<void> {
  await writeFileDurably(path.join(dir, RECOVERY_POINT_FILE), `${offset}\n`);
}
