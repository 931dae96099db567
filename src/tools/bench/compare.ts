/**
 * `mq bench compare`: loads result files (validated against the result schema) and lines up
 * their headline figures. Labels are the file names; when names repeat (result.json in several
 * --out directories) the directory names, or directory/file if those repeat too.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type BenchResult, parseResult } from './result.js';

export interface LabelledResult {
  file: string;
  label: string;
  result: BenchResult;
}

export interface ComparedFigures {
  label: string;
  file: string;
  workload: string;
  driver: string;
  publishRate: number;
  consumeRate: number | null;
  publishP99Ms: number;
  endToEndP99Ms: number | null;
  endToEndP999Ms: number | null;
  errors: number;
  /** publishRate relative to the first result. */
  publishRateRatio: number | null;
}

/** A result file that is missing or not a bench result: the user fixes the path. */
export class CompareInputError extends Error {
  override name = 'CompareInputError';
}

export async function loadResults(files: readonly string[]): Promise<LabelledResult[]> {
  if (files.length === 0)
    throw new CompareInputError('give at least one result file (result.json from mq bench --out or --json)');
  const unique = (xs: string[]) => new Set(xs).size === xs.length;
  const names = files.map((f) => path.basename(f, '.json'));
  const dirs = files.map((f) => path.basename(path.dirname(path.resolve(f))));
  const labels = unique(names) ? names : unique(dirs) ? dirs : files.map((_, i) => `${dirs[i]}/${names[i]}`);
  return Promise.all(
    files.map(async (file, i) => {
      let json: unknown;
      try {
        json = JSON.parse(await readFile(file, 'utf8'));
      } catch (err) {
        throw new CompareInputError(`cannot read ${file}: ${(err as Error).message}`);
      }
      try {
        return { file, label: labels[i], result: parseResult(json, file) };
      } catch (err) {
        throw new CompareInputError((err as Error).message);
      }
    }),
  );
}

export function compareFigures(results: readonly LabelledResult[]): ComparedFigures[] {
  const base = results[0]?.result.summary.publish.rate ?? 0;
  return results.map(({ file, label, result: r }) => ({
    label,
    file,
    workload: r.workload,
    driver: r.driver,
    publishRate: r.summary.publish.rate,
    consumeRate: r.summary.consume?.rate ?? null,
    publishP99Ms: r.summary.publish.latency.p99,
    endToEndP99Ms: r.summary.endToEnd?.p99 ?? null,
    endToEndP999Ms: r.summary.endToEnd?.p999 ?? null,
    errors: r.totals.errors,
    publishRateRatio: base > 0 ? r.summary.publish.rate / base : null,
  }));
}
