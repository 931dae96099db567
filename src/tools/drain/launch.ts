/**
 * Starts the drain's threads: consumers joined to the group (or, fanning out, K× consumers on
 * the temporary topic and the dispatchers in the original group), then — once every consumer is
 * assigned — bench's producer for `--produce-rate` arrivals.
 */
import { nowMicros } from '../../metrics/clock.js';
import type { WorkerHandle } from '../bench/worker-pool.js';
import { DrainSetupError } from './errors.js';
import type { DrainOptions } from './options.js';
import type { RunnerContext } from './runner.js';
import { createTokenBucket } from './token-bucket.js';
import type { DrainWorkerHandle, DrainWorkerPool } from './worker-pool.js';

export interface DrainThreads {
  consumers: DrainWorkerHandle[];
  dispatchers: DrainWorkerHandle[];
  producers: WorkerHandle[];
}

/** Threads a drain with these options needs. */
export function threadCount(o: DrainOptions): number {
  return o.consumers * o.fanout + (o.fanout > 1 ? o.dispatchers : 0) + (o.produceRate !== null ? 1 : 0);
}

export async function startWorkers(
  pool: DrainWorkerPool,
  o: DrainOptions,
  ctx: RunnerContext,
  out: DrainThreads,
): Promise<void> {
  const { info, tempGroup } = ctx;
  const driver = { name: o.driver, options: { brokers: o.brokers, clientId: 'mq-drain' } };
  const bucket = o.maxRate !== null ? createTokenBucket(o.maxRate, o.burstMs / 1000) : null;
  let id = 0;
  for (let i = 0; i < o.consumers * o.fanout; i++) {
    out.consumers.push(
      pool.spawnConsumer({
        id: id++,
        driver,
        topic: info.tempTopic ?? o.topic,
        group: tempGroup ?? o.group,
        processing: o.processing,
        bucket,
        commitIntervalMs: o.commitIntervalMs,
        fannedOutFrom: info.tempTopic ? o.topic : null,
        traceReads: o.traceReads,
      }),
    );
  }
  if (info.tempTopic) {
    for (let i = 0; i < o.dispatchers; i++) {
      out.dispatchers.push(
        pool.spawnDispatcher({
          id: id++,
          driver,
          topic: o.topic,
          group: o.group,
          tempTopic: info.tempTopic,
          fanout: o.fanout,
          commitIntervalMs: o.commitIntervalMs,
        }),
      );
    }
  }
  // Joins close together make one rebalance instead of one per straggler (members learn of a
  // rebalance only at their next heartbeat), so everyone loads first, then starts at once.
  const drainers = [...out.consumers, ...out.dispatchers];
  await settled(drainers.map((h) => h.loaded));
  for (const h of drainers) h.send({ type: 'go' });
  await settled(drainers.map((h) => h.ready));
  if (o.produceRate !== null) {
    const size = o.produceMessageSize ?? Math.max(1, Math.round(info.bytesPerMessage ?? 100));
    const maxChunk = Math.max(1, Math.min(2000, Math.floor((1 << 20) / (size + 64))));
    const h = pool.spawnProducer({
      id: id++,
      driver,
      topic: o.topic,
      partitions: info.partitions,
      settings: { acks: -1, batchSize: 64 * 1024, lingerMs: 2 },
      messageSize: size,
      keyDistributor: 'NO_KEY',
      maxChunk,
      maxPending: Math.max(maxChunk * 4, Math.floor((4 << 20) / (size + 64))),
    });
    out.producers.push(h);
    await settled([h.ready]);
    h.send({
      type: 'start',
      atMicros: nowMicros() + 20_000,
      rate: o.produceRate,
      measureFromMicros: Number.POSITIVE_INFINITY,
    });
  }
}

async function settled(steps: readonly Promise<void>[]): Promise<void> {
  try {
    await Promise.all(steps);
  } catch (err) {
    throw new DrainSetupError((err as Error).message);
  }
}
