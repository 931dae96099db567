/**
 * Piscina entry point: one drain consumer, joined to the group for the life of the drain.
 *
 * Batches go through the BatchProcessor (rate limit, work, handler, retries, DLQ); the consumer
 * counts a batch as consumed only when process() resolved, and commits what was consumed every
 * `commitIntervalMs`, before a rebalance and on close — so commits follow processing
 * (at-least-once). On stop, a batch being processed is abandoned and left to be redelivered.
 */
import { createDriver } from '../../drivers/index.js';
import { nowMicros } from '../../metrics/clock.js';
import { encodeHistogram, initHistograms } from '../../metrics/histogram.js';
import { loadHandler } from './handler.js';
import type { DrainConsumerTask, DrainWorkerReport } from './messages.js';
import { BatchProcessor, DrainStopped } from './processor.js';
import { SharedTokenBucket } from './token-bucket.js';
import { closeConsumer, PeriodicCommits, WorkerLink } from './worker-kit.js';

export default async function drainConsumerWorker(task: DrainConsumerTask): Promise<DrainWorkerReport> {
  await initHistograms();
  const driver = createDriver(task.driver.name, task.driver.options);
  const dlq = task.processing.dlqTopic ? driver.createProducer({ acks: -1 }) : null;
  let processor: BatchProcessor | null = null;
  let commits: PeriodicCommits | null = null;
  let fatal: string | undefined;
  const report = (final = false): DrainWorkerReport => {
    const p = processor;
    const out: DrainWorkerReport = {
      role: 'consumer',
      atMicros: nowMicros(),
      processed: p?.processed ?? 0,
      bytes: p?.bytes ?? 0,
      failed: p?.failed ?? 0,
      retried: p?.retried ?? 0,
      deadLettered: p?.deadLettered ?? 0,
      commits: commits?.count ?? 0,
      lastError: p?.lastError ?? commits?.lastError,
      fatal,
      timeInQueue: p ? encodeHistogram(p.timeInQueue) : '',
      processing: p ? encodeHistogram(p.processing) : '',
      positions: p?.runs.positions() ?? {},
      firstAtMicros: p?.firstAtMicros ?? 0,
      lastAtMicros: p?.lastAtMicros ?? 0,
      runs: final ? p?.runs.toJSON() : undefined,
      reads: task.traceReads ? p?.takeTraces() : undefined,
    };
    return out;
  };
  const link = new WorkerLink(task.port, () => report());
  const consumer = driver.createConsumer({
    topic: task.topic,
    group: task.group,
    fromBeginning: true,
    autoCommit: true,
  });
  try {
    const handler = task.processing.handlerFile ? await loadHandler(task.processing.handlerFile) : null;
    await dlq?.connect();
    processor = new BatchProcessor({
      spec: task.processing,
      handler,
      bucket: task.bucket ? new SharedTokenBucket(task.bucket) : null,
      dlq,
      worker: task.id,
      fannedOut: task.fannedOutFrom !== null,
      sourceTopic: task.fannedOutFrom ?? task.topic,
      isStopping: () => link.stopping,
      traceReads: task.traceReads,
    });
    const p = processor;
    link.post({ type: 'loaded' });
    await link.go;
    await consumer.start(
      (batch) => p.process(batch),
      (err) => {
        if (!(err instanceof DrainStopped)) fatal = err.message;
      },
    );
  } catch (err) {
    link.post({ type: 'failed', message: `consumer ${task.id} could not start: ${(err as Error).message}` });
    await consumer.close().catch(() => {});
    await dlq?.close().catch(() => {});
    await driver.close().catch(() => {});
    link.close();
    processor?.destroy();
    throw err;
  }
  commits = new PeriodicCommits(consumer, task.commitIntervalMs);
  link.post({ type: 'ready' });
  await link.stopped;
  fatal ??= await closeConsumer(commits, consumer);
  await dlq?.close().catch(() => {});
  const final = report(true);
  const done = processor;
  processor = null;
  done.destroy();
  await driver.close().catch(() => {});
  link.close();
  return final;
}
