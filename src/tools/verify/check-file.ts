/**
 * `mq check HISTORY` as a service: streams the file through the checker. A file that cannot be
 * read or holds a malformed line is a `CheckInputError` (exit 2), not a verdict.
 */
import { stat } from 'node:fs/promises';
import { type CheckOptions, LossChecker } from './checker/checker.js';
import type { CheckReport } from './checker/report.js';
import { HistoryFormatError } from './history.js';
import { forEachEvent } from './history-file.js';

export class CheckInputError extends Error {
  override name = 'CheckInputError';
}

export async function checkHistoryFile(path: string, opts: CheckOptions = {}): Promise<CheckReport> {
  try {
    if (!(await stat(path)).isFile()) throw new CheckInputError(`${path} is not a file`);
  } catch (err) {
    if (err instanceof CheckInputError) throw err;
    throw new CheckInputError(`cannot read ${path}: ${(err as Error).message}`);
  }
  const checker = new LossChecker(opts);
  try {
    await forEachEvent(path, (e) => checker.add(e));
  } catch (err) {
    if (err instanceof HistoryFormatError) throw new CheckInputError(`${path}: ${err.message}`);
    throw err;
  }
  return checker.finish();
}
