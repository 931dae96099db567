/**
 * The drain result document: what `mq drain-backlog --json` prints. Its zod schema is the
 * contract (tests validate real runs against it).
 *
 * Latency summaries are in milliseconds; `histograms` holds the run-long HdrHistograms in µs
 * (compressed base64, metrics/histogram.ts) so results can be merged or re-analysed exactly.
 * Counts: `processed` includes redeliveries; `coverage` is the drain's own at-least-once check —
 * every offset between the starting and the final committed offset must have been handled
 * (processed or dead-lettered); `coverage.missing` > 0 is a failure. It is null for a fan-out
 * whose temporary topic was kept, and for engines without offsets (RabbitMQ).
 */
import { z } from 'zod';
import { type LatencySummary, summarize } from '../../metrics/histogram.js';
import { type Coverage, coverageOf } from './coverage.js';
import { drainedOfStart, effectiveCommitted, type LagSnapshot } from './lag.js';
import type { DrainOptions } from './options.js';
import type { DrainOutcome, DrainRun } from './runner.js';

export const DRAIN_RESULT_SCHEMA_ID = 'mq-drain-result/1';

const num = z.number().finite();
const count = z.number().int().min(0);
const LatencyMsSchema = z.object({
  count,
  avg: num,
  p50: num,
  p95: num,
  p99: num,
  p999: num,
  max: num,
});
const LagSchema = z.object({
  messages: count,
  /** Estimated from the average payload size; null when unknown. */
  bytes: count.nullable(),
  partitions: z.array(
    z.object({ partition: count, endOffset: count, committed: z.number().int(), lag: count }),
  ),
});

export const DrainResultSchema = z.object({
  schema: z.literal(DRAIN_RESULT_SCHEMA_ID),
  tool: z.literal('drain-backlog'),
  version: z.string(),
  startedAt: z.string(),
  driver: z.string(),
  brokers: z.string(),
  topic: z.string(),
  group: z.string(),
  settings: z.object({
    consumers: count,
    workMs: num,
    handler: z.string().nullable(),
    maxRetries: count,
    dlq: z.string().nullable(),
    maxRate: num.nullable(),
    drainRatio: num,
    timeoutMs: num.nullable(),
    fanout: count,
    produceRate: num.nullable(),
  }),
  outcome: z.enum(['drained', 'timeout', 'stopped', 'failed']),
  reason: z.string(),
  exitCode: z.union([z.literal(0), z.literal(1), z.literal(3)]),
  startLag: LagSchema,
  endLag: LagSchema,
  /** Of the starting backlog, committed by the end. */
  drained: z.object({ messages: count, fraction: num }),
  /**
   * From the first message handled to the last: the time the consumers were actually at work
   * (no start-up, no end-of-drain detection). `rates.active` is processed / activeSec.
   */
  activeSec: num,
  /** Starting and joining the consumer threads, before draining began. */
  startupSec: num,
  /** Draining (from when every consumer was in the group) and winding down; --timeout counts here. */
  durationSec: num,
  counts: z.object({
    processed: count,
    bytes: count,
    failed: count,
    retried: count,
    deadLettered: count,
    /** Messages written to the topic while draining (startup excluded, as in the rates). */
    arrived: count,
  }),
  /**
   * msg/s over the drain (startup excluded): processed / duration, arrivals / duration, and their
   * difference; peakDrain is the best reporting interval.
   */
  rates: z.object({ drain: num, drainMBps: num, arrival: num, net: num, peakDrain: num, active: num }),
  latencyMs: z.object({ timeInQueue: LatencyMsSchema, processing: LatencyMsSchema }),
  histograms: z.object({ timeInQueue: z.string(), processing: z.string() }),
  coverage: z
    .object({
      handled: count,
      repeats: count,
      missing: count,
      gaps: z.array(z.object({ partition: count, from: count, to: count })),
    })
    .nullable(),
  fanout: z
    .object({ tempTopic: z.string(), partitions: count, left: count, removed: z.boolean() })
    .nullable(),
  intervals: z.array(
    z.object({
      t: num,
      remaining: count,
      processed: count,
      drainRate: num,
      arrivalRate: num,
      netRate: num,
      etaSec: num.nullable(),
    }),
  ),
  warnings: z.array(z.string()),
});
export type DrainResult = z.infer<typeof DrainResultSchema>;
type LatencyMs = z.infer<typeof LatencyMsSchema>;

export interface ResultMeta {
  options: DrainOptions;
  brokers: string;
  version: string;
}

/** 0 drained, 3 stopped with lag left (timeout, early stop), 1 failures. */
export function exitCodeOf(outcome: DrainOutcome, failures: number): 0 | 1 | 3 {
  if (outcome === 'failed' || failures > 0) return 1;
  return outcome === 'drained' ? 0 : 3;
}

export function buildDrainResult(run: DrainRun, meta: ResultMeta): DrainResult {
  const o = meta.options;
  const { info, endLag, totals } = run;
  const secs = Math.max(run.durationSec, 1e-6);
  // Without offsets (RabbitMQ: log ends unknown) there is nothing to check handled offsets against.
  const offsets = run.info.startLag.partitions.every((p) => p.endOffset >= 0);
  const coverage = (run.fanout && !run.fanout.removed) || !offsets ? null : checkCoverage(run);
  const warnings = [...run.warnings];
  if (coverage && coverage.missing > 0) {
    warnings.push(`${coverage.missing} committed messages were never handled: at-least-once was broken`);
  }
  if (totals.failed > 0) {
    warnings.push(`${totals.failed} messages failed after ${o.processing.maxRetries} retries (no --dlq)`);
  }
  const failures = totals.failed + (coverage?.missing ?? 0);
  const arrived = run.arrived;
  const drainedNow = totals.processed - run.beforeStart.processed;
  const activeSec = run.activeMicros.first > 0 ? (run.activeMicros.last - run.activeMicros.first) / 1e6 : 0;
  const drainedMsgs = drainedOfStart(info.startLag, endLag);
  const peak = Math.max(0, ...run.ticks.map((t) => t.rates.drain));
  const encoded = run.collector.encoded();
  return {
    schema: DRAIN_RESULT_SCHEMA_ID,
    tool: 'drain-backlog',
    version: meta.version,
    startedAt: run.startedAt,
    driver: o.driver,
    brokers: meta.brokers,
    topic: o.topic,
    group: o.group,
    settings: {
      consumers: o.consumers,
      workMs: o.processing.workMicros / 1000,
      handler: o.processing.handlerFile,
      maxRetries: o.processing.maxRetries,
      dlq: o.processing.dlqTopic,
      maxRate: o.maxRate,
      drainRatio: o.drainRatio,
      timeoutMs: o.timeoutMs,
      fanout: o.fanout,
      produceRate: o.produceRate,
    },
    outcome: run.outcome,
    reason: run.reason,
    exitCode: exitCodeOf(run.outcome, failures),
    startLag: lagDoc(info.startLag, info.bytesPerMessage),
    endLag: lagDoc(endLag, info.bytesPerMessage),
    drained: {
      messages: drainedMsgs,
      fraction: info.startLag.total === 0 ? 1 : drainedMsgs / info.startLag.total,
    },
    activeSec,
    startupSec: run.startupSec,
    durationSec: run.durationSec,
    counts: {
      processed: totals.processed,
      bytes: totals.bytes,
      failed: totals.failed,
      retried: totals.retried,
      deadLettered: totals.deadLettered,
      arrived,
    },
    rates: {
      drain: drainedNow / secs,
      drainMBps: (totals.bytes - run.beforeStart.bytes) / (1 << 20) / secs,
      arrival: arrived / secs,
      net: (drainedNow - arrived) / secs,
      peakDrain: peak,
      active: activeSec > 0 ? totals.processed / activeSec : 0,
    },
    latencyMs: {
      timeInQueue: toMs(summarize(run.collector.timeInQueue)),
      processing: toMs(summarize(run.collector.processing)),
    },
    histograms: encoded,
    coverage: coverage && {
      handled: coverage.handled,
      repeats: coverage.repeats,
      missing: coverage.missing,
      gaps: coverage.partitions
        .flatMap((p) => p.gaps.map(([from, to]) => ({ partition: p.partition, from, to })))
        .slice(0, 100),
    },
    fanout: run.fanout,
    intervals: run.ticks.map((t) => ({
      t: t.elapsedSec,
      remaining: t.remaining,
      processed: t.totals.processed,
      drainRate: t.rates.drain,
      arrivalRate: t.rates.arrival,
      netRate: t.rates.net,
      etaSec: t.etaSec,
    })),
    warnings,
  };
}

/** Every offset from the starting to the final committed offset must have been handled. */
function checkCoverage(run: DrainRun): Coverage {
  const end = new Map(run.endLag.partitions.map((p) => [p.partition, effectiveCommitted(p)]));
  const expected = new Map<number, readonly [number, number]>();
  for (const p of run.info.startLag.partitions) {
    const from = effectiveCommitted(p);
    const to = end.get(p.partition) ?? from;
    if (to > from) expected.set(p.partition, [from, to]);
  }
  return coverageOf(run.collector.runs, expected);
}

function lagDoc(s: LagSnapshot, bytesPerMessage: number | null): DrainResult['startLag'] {
  return {
    messages: s.total,
    bytes: bytesPerMessage === null ? null : Math.round(s.total * bytesPerMessage),
    partitions: s.partitions.map((p) => ({
      partition: p.partition,
      endOffset: p.endOffset,
      committed: p.committed,
      lag: p.lag,
    })),
  };
}

function toMs(s: LatencySummary): LatencyMs {
  return {
    count: s.count,
    avg: s.avg / 1000,
    p50: s.p50 / 1000,
    p95: s.p95 / 1000,
    p99: s.p99 / 1000,
    p999: s.p999 / 1000,
    max: s.max / 1000,
  };
}
