/**
 * Piscina entry point: the fan-out dispatcher. It consumes the original topic in the original
 * group and re-publishes every batch into the temporary topic: the messages of original partition
 * p are cut into `fanout` consecutive slices that go to temporary partitions p·K … p·K + K − 1,
 * each stamped with its origin (origin.ts). A batch counts as consumed — and the original group's
 * offsets may move past it — only once every slice is acknowledged, so what is committed in the
 * original group is exactly what was re-published.
 *
 * The runner pauses it while the fan-out consumers are too far behind, so that stopping early
 * leaves little re-published and unprocessed.
 */
import type { IncomingBatch, OutgoingMessage } from '../../drivers/driver.js';
import { createDriver } from '../../drivers/index.js';
import { nowMicros } from '../../metrics/clock.js';
import { initHistograms } from '../../metrics/histogram.js';
import { OffsetRuns } from './coverage.js';
import type { DispatcherTask, DrainWorkerReport } from './messages.js';
import { encodeOrigin, ORIGIN_HEADER } from './origin.js';
import { DrainStopped } from './processor.js';
import { closeConsumer, PeriodicCommits, WorkerLink } from './worker-kit.js';

export default async function dispatcherWorker(task: DispatcherTask): Promise<DrainWorkerReport> {
  await initHistograms();
  const driver = createDriver(task.driver.name, task.driver.options);
  const producer = driver.createProducer({
    acks: -1,
    idempotent: driver.capabilities.idempotence,
    batchSize: 256 * 1024,
  });
  const runs = new OffsetRuns();
  let republished = 0;
  let bytes = 0;
  let lastError: string | undefined;
  let fatal: string | undefined;
  let commits: PeriodicCommits | null = null;
  const report = (final = false): DrainWorkerReport => ({
    role: 'dispatcher',
    atMicros: nowMicros(),
    processed: republished,
    bytes,
    failed: 0,
    retried: 0,
    deadLettered: 0,
    commits: commits?.count ?? 0,
    lastError: lastError ?? commits?.lastError,
    fatal,
    timeInQueue: '',
    processing: '',
    positions: runs.positions(),
    firstAtMicros: 0,
    lastAtMicros: 0,
    runs: final ? runs.toJSON() : undefined,
  });
  const link = new WorkerLink(task.port, () => report());
  const K = task.fanout;

  const dispatch = async (b: IncomingBatch) => {
    await link.whilePaused();
    if (link.stopping) throw new DrainStopped('stopping');
    const ms = b.messages;
    const per = Math.ceil(ms.length / K);
    const sends: Promise<unknown>[] = [];
    for (let j = 0; j < K && j * per < ms.length; j++) {
      const slice = ms.slice(j * per, Math.min(ms.length, (j + 1) * per));
      const partition = b.partition * K + j;
      const out = slice.map((m): OutgoingMessage => {
        const headers: Record<string, Uint8Array> = {};
        for (const h of m.headers) if (h.value !== null && !(h.key in headers)) headers[h.key] = h.value;
        headers[ORIGIN_HEADER] = encodeOrigin(b.partition, m.offset, m.timestamp);
        return { key: m.key, value: m.value, headers, partition };
      });
      sends.push(producer.send(task.tempTopic, out));
    }
    await Promise.all(sends);
    for (const m of ms) {
      runs.add(b.partition, m.offset);
      bytes += m.value?.length ?? 0;
    }
    republished += ms.length;
  };

  const consumer = driver.createConsumer({
    topic: task.topic,
    group: task.group,
    fromBeginning: true,
    autoCommit: true,
  });
  try {
    await producer.connect();
    link.post({ type: 'loaded' });
    await link.go;
    await consumer.start(dispatch, (err) => {
      if (!(err instanceof DrainStopped)) fatal = err.message;
    });
  } catch (err) {
    link.post({
      type: 'failed',
      message: `dispatcher ${task.id} could not start: ${(err as Error).message}`,
    });
    await consumer.close().catch(() => {});
    await producer.close().catch(() => {});
    await driver.close().catch(() => {});
    link.close();
    throw err;
  }
  commits = new PeriodicCommits(consumer, task.commitIntervalMs);
  link.post({ type: 'ready' });
  await link.stopped;
  fatal ??= await closeConsumer(commits, consumer);
  await producer.close().catch((err: Error) => {
    lastError = err.message;
  });
  const final = report(true);
  await driver.close().catch(() => {});
  link.close();
  return final;
}
