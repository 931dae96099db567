/**
 * `--dry-run`: what a drain would face, without joining the group or committing anything — the
 * lag now, the arrival rate over a short sample, and the time N consumers would need.
 *
 * Capacity = min(effective consumers × per-consumer rate, --max-rate), where effective consumers
 * = min(consumers, partitions) (×K with fan-out) and the per-consumer rate is the lower of what
 * one consumer read unthrottled during the sample (the read probe) and 1/--work. A --handler's
 * cost is unknown until it runs and is not in the estimate. ETA = lag / (capacity − arrival).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Driver } from '../../drivers/driver.js';
import { readLag } from './lag.js';
import type { DrainOptions } from './options.js';
import { probeTopic } from './probe.js';

export const DRAIN_ESTIMATE_SCHEMA_ID = 'mq-drain-estimate/1';

export interface DrainEstimate {
  schema: typeof DRAIN_ESTIMATE_SCHEMA_ID;
  tool: 'drain-backlog';
  dryRun: true;
  topic: string;
  group: string;
  partitions: number;
  lag: { messages: number; bytes: number | null; partitions: { partition: number; lag: number }[] };
  sampleSec: number;
  /** msg/s written to the topic during the sample. */
  arrivalRate: number;
  /** msg/s one consumer read with no processing, null when there was nothing to read. */
  readRatePerConsumer: number | null;
  perConsumerRate: number | null;
  consumers: number;
  effectiveConsumers: number;
  capacity: number | null;
  netRate: number | null;
  /** null when the drain would not shrink the backlog (or its speed is unknown). */
  etaSec: number | null;
  basis: string[];
}

export interface EstimateInputs {
  lag: number;
  partitions: number;
  arrivalRate: number;
  readRate: number | null;
  options: Pick<DrainOptions, 'consumers' | 'fanout' | 'maxRate' | 'processing'>;
}

/** The arithmetic of the estimate, apart from the measurements. */
export function estimateCapacity(i: EstimateInputs): {
  perConsumerRate: number | null;
  effectiveConsumers: number;
  capacity: number | null;
  netRate: number | null;
  etaSec: number | null;
  basis: string[];
} {
  const o = i.options;
  const basis: string[] = [];
  const work = o.processing.workMicros;
  let per = i.readRate ?? Number.POSITIVE_INFINITY;
  if (i.readRate !== null) basis.push(`one consumer read ${Math.round(i.readRate)} msg/s with no processing`);
  if (work > 0) {
    per = Math.min(per, 1e6 / work);
    basis.push(`--work ${work / 1000}ms caps a consumer at ${Math.round(1e6 / work)} msg/s`);
  }
  if (o.processing.handlerFile) basis.push("the handler's own cost is not included");
  const effective = Math.min(o.consumers, i.partitions) * o.fanout;
  if (o.consumers > i.partitions) {
    basis.push(
      `${i.partitions} partitions: ${o.consumers - i.partitions} of ${o.consumers} consumers would idle`,
    );
  }
  if (!Number.isFinite(per)) {
    basis.push(
      i.lag > 0
        ? 'no read rate measured (a queue without offsets is not read aside) and no --work: the drain speed is unknown'
        : 'nothing to read and no --work: the drain speed is unknown',
    );
    return {
      perConsumerRate: null,
      effectiveConsumers: effective,
      capacity: null,
      netRate: null,
      etaSec: null,
      basis,
    };
  }
  let capacity = effective * per;
  if (o.maxRate !== null && o.maxRate < capacity) {
    capacity = o.maxRate;
    basis.push(`--max-rate caps the drain at ${o.maxRate} msg/s`);
  }
  const net = capacity - i.arrivalRate;
  if (net <= 0) basis.push('arrivals outpace the drain: the backlog would grow');
  return {
    perConsumerRate: per,
    effectiveConsumers: effective,
    capacity,
    netRate: net,
    etaSec: i.lag === 0 ? 0 : net > 0 ? i.lag / net : null,
    basis,
  };
}

export async function estimateDrain(
  driver: Driver,
  o: DrainOptions,
  partitions: number,
  sampleMs: number,
): Promise<DrainEstimate> {
  const first = await readLag(driver.admin, o.group, o.topic);
  // A queue without offsets cannot be read aside without taking the messages: no read rate.
  const [probe] = await Promise.all([
    driver.capabilities.offsets
      ? probeTopic(driver, o.topic, { maxMs: sampleMs, maxMessages: Number.POSITIVE_INFINITY })
      : { readRate: null, bytesPerMessage: null },
    sleep(sampleMs),
  ]);
  const last = await readLag(driver.admin, o.group, o.topic);
  const secs = Math.max((last.atMicros - first.atMicros) / 1e6, 1e-3);
  const arrivalRate = Math.max(0, (last.endSum - first.endSum) / secs);
  const est = estimateCapacity({
    lag: last.total,
    partitions,
    arrivalRate,
    readRate: probe.readRate,
    options: o,
  });
  return {
    schema: DRAIN_ESTIMATE_SCHEMA_ID,
    tool: 'drain-backlog',
    dryRun: true,
    topic: o.topic,
    group: o.group,
    partitions,
    lag: {
      messages: last.total,
      bytes: probe.bytesPerMessage === null ? null : Math.round(last.total * probe.bytesPerMessage),
      partitions: last.partitions.map((p) => ({ partition: p.partition, lag: p.lag })),
    },
    sampleSec: secs,
    arrivalRate,
    readRatePerConsumer: probe.readRate,
    consumers: o.consumers * o.fanout,
    ...est,
  };
}
