/**
 * `mq bench` as a service: workload in, typed result out (the `--json` contract).
 *
 * Without brokers it starts an embedded `mq serve` (child process, temp data dir, free port) and
 * removes it afterwards. The driver is checked against the workload before anything starts. With
 * `outDir` it writes result.json and one HdrHistogram interval log per latency.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DriverCapabilityError, driverCapabilities, UnknownDriverError } from '../../drivers/index.js';
import { initHistograms } from '../../metrics/histogram.js';
import { histogramLog } from '../../metrics/histogram-log.js';
import { EmbeddedBroker } from '../embedded-broker.js';
import { packageRoot } from '../package-root.js';
import { evaluateThresholds, type Threshold } from './assertions.js';
import { type BenchResult, buildResult } from './result.js';
import { checkDriver } from './run-checks.js';
import { type BenchRun, BenchRunner, BenchSetupError } from './runner.js';
import type { ThreadMode } from './worker-pool.js';
import { type Workload, WorkloadError, withPayloadSize } from './workload.js';

export interface BenchOptions {
  workload: Workload;
  driver: string;
  /** Bootstrap servers; none = an embedded broker. */
  brokers?: string;
  /** Flush policy of the embedded broker. */
  brokerFlush?: string;
  intervalMs?: number;
  threads?: ThreadMode;
  drainTimeoutMs?: number;
  searchStepMs?: number;
  keepTopics?: boolean;
  thresholds?: readonly Threshold[];
  outDir?: string;
  /** Sees the runner before it starts (the UI subscribes to its events here). */
  onRunner?: (runner: BenchRunner) => void;
  /** Progress for humans (embedded broker started, files written). */
  onLog?: (line: string) => void;
}

export interface BenchOutcome {
  result: BenchResult;
  /** Thresholds that failed (exit 1 when any). */
  failed: number;
  files: string[];
}

/** Errors that mean "could not run" (exit 2), as opposed to bugs. */
export function isSetupError(err: unknown): boolean {
  return (
    err instanceof BenchSetupError ||
    err instanceof WorkloadError ||
    err instanceof DriverCapabilityError ||
    err instanceof UnknownDriverError
  );
}

export async function runBench(opts: BenchOptions): Promise<BenchOutcome> {
  const log = opts.onLog ?? (() => {});
  const workload = await withPayloadSize(opts.workload);
  checkDriver({ name: opts.driver, capabilities: driverCapabilities(opts.driver) }, workload);
  await initHistograms();
  let broker: EmbeddedBroker | null = null;
  const flush = opts.brokerFlush ?? 'os';
  try {
    let brokers = opts.brokers;
    if (!brokers) {
      broker = await EmbeddedBroker.start({ flush, defaultPartitions: workload.partitionsPerTopic }).catch(
        (err: Error) => {
          throw new BenchSetupError(`could not start the embedded broker: ${err.message}`);
        },
      );
      brokers = broker.bootstrap;
      log(`embedded broker on ${brokers} (flush ${flush}, data dir ${broker.dataDir})`);
    }
    const runner = new BenchRunner({
      workload,
      driver: opts.driver,
      brokers,
      intervalMs: opts.intervalMs,
      threads: opts.threads,
      drainTimeoutMs: opts.drainTimeoutMs,
      searchStepMs: opts.searchStepMs,
      keepTopics: opts.keepTopics,
    });
    opts.onRunner?.(runner);
    const run = await runner.run();
    const result = buildResult(run, {
      workload,
      driver: opts.driver,
      brokers: broker ? 'embedded' : brokers,
      embeddedFlush: broker ? flush : null,
      intervalMs: opts.intervalMs ?? 1000,
      version: await packageVersion(),
    });
    const outcomes = evaluateThresholds(result, opts.thresholds ?? []);
    if (outcomes.length > 0) result.assertions = outcomes;
    const files = opts.outDir ? await writeRunFiles(opts.outDir, run, result) : [];
    for (const f of files) log(`wrote ${f}`);
    return { result, failed: outcomes.filter((o) => !o.ok).length, files };
  } finally {
    await broker?.close();
  }
}

/** result.json and the HdrHistogram interval logs. */
export async function writeRunFiles(dir: string, run: BenchRun, result: BenchResult): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  const write = async (name: string, text: string) => {
    const file = path.join(dir, name);
    await writeFile(file, text);
    files.push(file);
  };
  await write('result.json', `${JSON.stringify(result, null, 2)}\n`);
  const start = Date.parse(run.startedAt);
  const logs = {
    'publish-latency.hlog': 'publishLatency',
    'publish-delay.hlog': 'publishDelay',
    'end-to-end-latency.hlog': 'endToEnd',
  } as const;
  for (const [name, key] of Object.entries(logs)) {
    const intervals = run.intervals.map((i) => ({
      startSec: i.startSec,
      endSec: i.endSec,
      encoded: i.histograms[key],
    }));
    await write(
      name,
      histogramLog(intervals, start, `mq bench ${result.workload}: ${key} (µs), driver ${result.driver}`),
    );
  }
  return files;
}

let version: string | undefined;
async function packageVersion(): Promise<string> {
  version ??= (
    JSON.parse(await readFile(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }
  ).version;
  return version;
}
