/**
 * `mq drain-backlog` as a service: options in, typed result out (the `--json` contract).
 *
 * Before anything consumes: the driver must have consumer groups and lag, the topic must exist,
 * the lag is read and a short read probe sizes the average message; the DLQ topic is created if
 * missing (as many partitions as the topic); with fan-out, the temporary topic
 * `<topic>.fanout-<id>` (partitions × K) and its group `<group>.fanout-<id>` are made. Any
 * failure there is a DrainSetupError (exit 2) and nothing was committed.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  createDriver,
  type Driver,
  DriverCapabilityError,
  requireCapabilities,
  UnknownDriverError,
} from '../../drivers/index.js';
import { initHistograms } from '../../metrics/histogram.js';
import { packageRoot } from '../package-root.js';
import { DrainSetupError, DrainUsageError } from './errors.js';
import { type DrainEstimate, estimateDrain } from './estimate.js';
import { HandlerLoadError } from './handler.js';
import { readLag } from './lag.js';
import { threadCount } from './launch.js';
import { checkDrainOptions, type DrainOptions } from './options.js';
import { probeTopic } from './probe.js';
import { buildDrainResult, type DrainResult } from './result.js';
import { type DrainRun, DrainRunner, type DrainStartInfo } from './runner.js';
import { DrainWorkerError, DrainWorkerPool } from './worker-pool.js';

export interface DrainHooks {
  /** Sees the runner before it starts (the UI subscribes to its events here). */
  onRunner?: (runner: DrainRunner) => void;
  onLog?: (line: string) => void;
}

/** Errors that mean "could not run" (exit 2), as opposed to bugs. */
export function isDrainSetupError(err: unknown): boolean {
  return (
    err instanceof DrainSetupError ||
    err instanceof DrainUsageError ||
    err instanceof DrainWorkerError ||
    err instanceof HandlerLoadError ||
    err instanceof DriverCapabilityError ||
    err instanceof UnknownDriverError
  );
}

export async function runDrain(o: DrainOptions, hooks: DrainHooks = {}): Promise<DrainResult> {
  const log = hooks.onLog ?? (() => {});
  checkDrainOptions(o);
  await initHistograms();
  return withDriver(o, async (driver, partitions) => {
    const startLag = await readLag(driver.admin, o.group, o.topic);
    // A queue without offsets cannot be read aside without taking the messages: no probe there,
    // and the backlog's size in bytes stays unknown.
    const probe =
      startLag.total > 0 && driver.capabilities.offsets
        ? await probeTopic(driver, o.topic, { maxMs: 1000, maxMessages: 2000 })
        : null;
    const dlq = o.processing.dlqTopic;
    if (dlq && (await driver.admin.partitionCount(dlq)) === null) {
      await driver.admin.createTopic(dlq, partitions);
      log(`created dead-letter topic ${dlq} (${partitions} partitions)`);
    }
    const id = randomBytes(3).toString('hex');
    const fanningOut = o.fanout > 1 && startLag.total > 0;
    const tempTopic = fanningOut ? `${o.topic}.fanout-${id}` : null;
    const tempGroup = fanningOut ? `${o.group}.fanout-${id}` : null;
    const info: DrainStartInfo = {
      topic: o.topic,
      group: o.group,
      partitions,
      consumers: o.consumers * o.fanout,
      fanout: o.fanout,
      tempTopic,
      startLag,
      bytesPerMessage: probe?.bytesPerMessage ?? null,
      maxRate: o.maxRate,
      timeoutMs: o.timeoutMs,
      drainRatio: o.drainRatio,
      produceRate: o.produceRate,
    };
    let pool: DrainWorkerPool | null = null;
    let run: DrainRun | null = null;
    try {
      if (tempTopic) {
        await driver.admin.createTopic(tempTopic, partitions * o.fanout);
        log(`fan-out: temporary topic ${tempTopic} with ${partitions * o.fanout} partitions`);
      }
      if (startLag.total > 0) pool = new DrainWorkerPool(threadCount(o));
      const runner = new DrainRunner(o);
      hooks.onRunner?.(runner);
      run = await runner.run({ driver, info, tempGroup }, pool);
      return buildDrainResult(run, { options: o, brokers: o.brokers, version: await packageVersion() });
    } finally {
      await pool?.close().catch(() => {});
      if (tempTopic && !run) await removeIfEmpty(driver, tempTopic, tempGroup!, log);
    }
  });
}

export async function dryRunDrain(o: DrainOptions, sampleMs: number): Promise<DrainEstimate> {
  checkDrainOptions(o);
  return withDriver(o, (driver, partitions) => estimateDrain(driver, o, partitions, sampleMs));
}

/** Makes the driver, checks what the drain needs of it and of the topic, and closes it after. */
async function withDriver<T>(
  o: DrainOptions,
  fn: (driver: Driver, partitions: number) => Promise<T>,
): Promise<T> {
  const driver = createDriver(o.driver, { brokers: o.brokers, clientId: 'mq-drain' });
  try {
    requireCapabilities(driver, { consumerGroups: true, lag: true }, 'drain-backlog');
    const partitions = await driver.admin.partitionCount(o.topic).catch((err: Error) => {
      throw new DrainSetupError(`cannot reach ${o.brokers}: ${err.message} (check --brokers)`);
    });
    if (partitions === null) {
      throw new DrainSetupError(
        `topic ${o.topic} does not exist at ${o.brokers} (mq backlog fill makes one)`,
      );
    }
    return await fn(driver, partitions);
  } finally {
    await driver.close().catch(() => {});
  }
}

/** After a failed start: the temporary topic goes unless something re-published waits in it. */
async function removeIfEmpty(driver: Driver, topic: string, group: string, log: (l: string) => void) {
  const left = await readLag(driver.admin, group, topic).catch(() => null);
  if (left && left.total > 0) {
    log(`kept ${topic}: ${left.total} re-published messages were not processed (group ${group})`);
    return;
  }
  await driver.admin.deleteTopic(topic).catch(() => {});
}

let version: string | undefined;
async function packageVersion(): Promise<string> {
  version ??= (
    JSON.parse(await readFile(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }
  ).version;
  return version;
}
