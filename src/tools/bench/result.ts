/**
 * The bench result document: what `--json` prints and `--out` writes as result.json, and what
 * `mq bench compare` reads. Its zod schema is the contract (tests validate real runs against it).
 *
 * Field names follow OpenMessaging Benchmark's result file where it has them (workload, driver,
 * messageSize, topics, partitions, producersPerTopic, consumersPerTopic, publishRate[],
 * consumeRate[], backlog[], publishLatency99pct[], aggregatedEndToEndLatencyQuantiles, ...), with
 * OMB's units: latencies in milliseconds, publish delay in microseconds. mq's own sections
 * (`summary`, `intervals`, `totals`) use milliseconds for every latency and say so in `units`.
 * `histograms` holds the aggregate HdrHistograms (µs, compressed base64) so results can be
 * merged or re-analysed exactly.
 */
import os from 'node:os';
import { z } from 'zod';
import { decodeHistogram, type LatencySummary, quantileMap, summarize } from '../../metrics/histogram.js';
import type { IntervalStats } from './intervals.js';
import type { BenchRun } from './runner.js';
import type { Workload } from './workload.js';

export const RESULT_SCHEMA_ID = 'mq-bench-result/1';

const OMB_STATS = [
  'Avg',
  '50pct',
  '75pct',
  '95pct',
  '99pct',
  '999pct',
  '9999pct',
  '99999pct',
  'Max',
] as const;
const OMB_METRICS = ['publishLatency', 'publishDelayLatency', 'endToEndLatency'] as const;
type OmbStat = (typeof OMB_STATS)[number];
type OmbMetric = (typeof OMB_METRICS)[number];
type OmbSeriesKey = `${OmbMetric}${OmbStat}`;
type OmbAggregateKey = `aggregated${Capitalize<OmbMetric>}${OmbStat}`;
type OmbQuantilesKey = `aggregated${Capitalize<OmbMetric>}Quantiles`;

const cap = <S extends string>(s: S) => (s[0].toUpperCase() + s.slice(1)) as Capitalize<S>;
const STAT_OF: Record<OmbStat, keyof LatencySummary> = {
  Avg: 'avg',
  '50pct': 'p50',
  '75pct': 'p75',
  '95pct': 'p95',
  '99pct': 'p99',
  '999pct': 'p999',
  '9999pct': 'p9999',
  '99999pct': 'p99999',
  Max: 'max',
};

const num = z.number().finite();
const LatencyMsSchema = z.object({
  count: z.number().int().min(0),
  avg: num,
  p50: num,
  p75: num,
  p95: num,
  p99: num,
  p999: num,
  p9999: num,
  p99999: num,
  max: num,
});
export type LatencyMs = z.infer<typeof LatencyMsSchema>;

const ombShape = Object.fromEntries(
  OMB_METRICS.flatMap((m) => [
    ...OMB_STATS.map((s) => [`${m}${s}`, z.array(num)]),
    ...OMB_STATS.map((s) => [`aggregated${cap(m)}${s}`, num]),
    [`aggregated${cap(m)}Quantiles`, z.record(num)],
  ]),
) as { [K in OmbSeriesKey]: z.ZodArray<z.ZodNumber> } & { [K in OmbAggregateKey]: z.ZodNumber } & {
  [K in OmbQuantilesKey]: z.ZodRecord<z.ZodString, z.ZodNumber>;
};

const IntervalSchema = z.object({
  index: z.number().int(),
  phase: z.enum(['warmup', 'measure', 'drain']),
  startSec: num,
  endSec: num,
  targetRate: num.nullable(),
  publishRate: num,
  publishMBps: num,
  publishErrorRate: num,
  consumeRate: num,
  consumeMBps: num,
  backlog: num,
  publishLatency: LatencyMsSchema,
  publishDelay: LatencyMsSchema,
  endToEnd: LatencyMsSchema,
});

const TotalsSchema = z.object({
  sent: z.number().int(),
  acked: z.number().int(),
  errors: z.number().int(),
  bytesAcked: z.number().int(),
  received: z.number().int(),
  bytesReceived: z.number().int(),
  unstamped: z.number().int(),
});

export const BenchResultSchema = z
  .object({
    schema: z.literal(RESULT_SCHEMA_ID),
    tool: z.object({ name: z.literal('mq bench'), version: z.string() }),
    workload: z.string(),
    driver: z.string(),
    messageSize: z.number().int(),
    topics: z.number().int(),
    partitions: z.number().int(),
    producersPerTopic: z.number().int(),
    consumersPerTopic: z.number().int(),
    startedAt: z.string(),
    units: z.object({
      latency: z.literal('ms'),
      ombPublishDelay: z.literal('us'),
      rate: z.literal('msg/s'),
      throughput: z.literal('MB/s'),
    }),
    config: z.object({
      workload: z.record(z.unknown()),
      brokers: z.string(),
      embeddedBroker: z.object({ flush: z.string() }).nullable(),
      intervalSeconds: num,
      rateMode: z.enum(['fixed', 'max', 'search']),
      targetRate: num.nullable(),
    }),
    environment: z.object({
      node: z.string(),
      platform: z.string(),
      arch: z.string(),
      cpus: z.number().int(),
      cpuModel: z.string(),
      hostname: z.string(),
      /** Producers and consumers are worker threads of one process: one host, one clock. */
      sameHost: z.boolean(),
      clock: z.string(),
    }),
    publishRate: z.array(num),
    publishErrorRate: z.array(num),
    consumeRate: z.array(num),
    backlog: z.array(num),
    ...ombShape,
    summary: z.object({
      measuredSeconds: num,
      publish: z.object({ rate: num, mbps: num, errors: z.number().int(), latency: LatencyMsSchema }),
      publishDelay: LatencyMsSchema.nullable(),
      consume: z.object({ rate: num, mbps: num }).nullable(),
      endToEnd: LatencyMsSchema.nullable(),
      backlog: z.object({ final: num, max: num }),
    }),
    totals: TotalsSchema,
    intervals: z.array(IntervalSchema),
    histograms: z.object({ publishLatency: z.string(), publishDelay: z.string(), endToEnd: z.string() }),
    rateSearch: z
      .object({
        maxSustainableRate: num,
        steps: z.array(
          z.object({
            rate: num,
            achievedRate: num,
            backlogGrowth: num,
            publishDelayP99Ms: num,
            sustainable: z.boolean(),
            reason: z.string().optional(),
          }),
        ),
      })
      .nullable(),
    warnings: z.array(z.string()),
    assertions: z
      .array(z.object({ expression: z.string(), actual: num.nullable(), unit: z.string(), ok: z.boolean() }))
      .optional(),
  })
  .strict();

export type BenchResult = z.infer<typeof BenchResultSchema>;

export interface ResultContext {
  workload: Workload;
  driver: string;
  brokers: string;
  embeddedFlush: string | null;
  intervalMs: number;
  version: string;
}

const ms = (micros: number) => micros / 1000;
export function toMs(s: LatencySummary): LatencyMs {
  return {
    count: s.count,
    avg: ms(s.avg),
    p50: ms(s.p50),
    p75: ms(s.p75),
    p95: ms(s.p95),
    p99: ms(s.p99),
    p999: ms(s.p999),
    p9999: ms(s.p9999),
    p99999: ms(s.p99999),
    max: ms(s.max),
  };
}

function histogramStats(encoded: string): { summary: LatencySummary; quantiles: Record<string, number> } {
  const h = decodeHistogram(encoded);
  try {
    return { summary: summarize(h), quantiles: quantileMap(h) };
  } finally {
    h.destroy();
  }
}

export function buildResult(run: BenchRun, ctx: ResultContext): BenchResult {
  const w = ctx.workload;
  const measured = run.intervals.filter((i) => i.phase === 'measure');
  const omb: Record<string, unknown> = {};
  const sources: Record<
    OmbMetric,
    { interval: (i: IntervalStats) => LatencySummary; encoded: string; scale: number }
  > = {
    publishLatency: {
      interval: (i) => i.publishLatency,
      encoded: run.histograms.publishLatency,
      scale: 1000,
    },
    publishDelayLatency: { interval: (i) => i.publishDelay, encoded: run.histograms.publishDelay, scale: 1 },
    endToEndLatency: { interval: (i) => i.endToEnd, encoded: run.histograms.endToEnd, scale: 1000 },
  };
  const aggregates = {} as Record<OmbMetric, LatencySummary>;
  for (const m of OMB_METRICS) {
    const src = sources[m];
    const agg = histogramStats(src.encoded);
    aggregates[m] = agg.summary;
    for (const s of OMB_STATS) {
      omb[`${m}${s}`] = measured.map((i) => src.interval(i)[STAT_OF[s]] / src.scale);
      omb[`aggregated${cap(m)}${s}`] = agg.summary[STAT_OF[s]] / src.scale;
    }
    omb[`aggregated${cap(m)}Quantiles`] = Object.fromEntries(
      Object.entries(agg.quantiles).map(([p, v]) => [p, v / src.scale]),
    );
  }
  const secs = Math.max(run.measured.seconds, 1e-9);
  const MB = 1024 * 1024;
  const hasConsumers = w.subscriptionsPerTopic > 0;
  const throttled = w.rate.mode !== 'max';
  const backlogs = measured.map((i) => i.backlog);
  return {
    schema: RESULT_SCHEMA_ID,
    tool: { name: 'mq bench', version: ctx.version },
    workload: w.name,
    driver: ctx.driver,
    messageSize: w.messageSize,
    topics: w.topics,
    partitions: w.partitionsPerTopic,
    producersPerTopic: w.producersPerTopic,
    consumersPerTopic: w.subscriptionsPerTopic * w.consumerPerSubscription,
    startedAt: run.startedAt,
    units: { latency: 'ms', ombPublishDelay: 'us', rate: 'msg/s', throughput: 'MB/s' },
    config: {
      workload: { ...w, producer: { ...w.producer } } as unknown as Record<string, unknown>,
      brokers: ctx.brokers,
      embeddedBroker: ctx.embeddedFlush === null ? null : { flush: ctx.embeddedFlush },
      intervalSeconds: ctx.intervalMs / 1000,
      rateMode: w.rate.mode,
      targetRate: w.rate.mode === 'fixed' ? w.rate.perSecond : null,
    },
    environment: {
      node: process.version,
      platform: process.platform,
      arch: process.arch,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      hostname: os.hostname(),
      sameHost: true,
      clock:
        'producers and consumers are worker threads of this one process, so send and receive times come from one host clock; mq bench cannot split them across hosts',
    },
    publishRate: measured.map((i) => i.publishRate),
    publishErrorRate: measured.map((i) => i.publishErrorRate),
    consumeRate: measured.map((i) => i.consumeRate),
    backlog: backlogs,
    ...(omb as Pick<BenchResult, OmbSeriesKey | OmbAggregateKey | OmbQuantilesKey>),
    summary: {
      measuredSeconds: run.measured.seconds,
      publish: {
        rate: run.measured.acked / secs,
        mbps: run.measured.bytesAcked / MB / secs,
        errors: run.measured.errors,
        latency: toMs(aggregates.publishLatency),
      },
      publishDelay: throttled ? toMs(aggregates.publishDelayLatency) : null,
      consume: hasConsumers
        ? { rate: run.measured.received / secs, mbps: run.measured.bytesReceived / MB / secs }
        : null,
      endToEnd: hasConsumers ? toMs(aggregates.endToEndLatency) : null,
      backlog: { final: run.intervals.at(-1)?.backlog ?? 0, max: Math.max(0, ...backlogs) },
    },
    totals: run.totals,
    intervals: run.intervals.map((i) => ({
      index: i.index,
      phase: i.phase,
      startSec: i.startSec,
      endSec: i.endSec,
      targetRate: i.targetRate,
      publishRate: i.publishRate,
      publishMBps: i.publishMBps,
      publishErrorRate: i.publishErrorRate,
      consumeRate: i.consumeRate,
      consumeMBps: i.consumeMBps,
      backlog: i.backlog,
      publishLatency: toMs(i.publishLatency),
      publishDelay: toMs(i.publishDelay),
      endToEnd: toMs(i.endToEnd),
    })),
    histograms: run.histograms,
    rateSearch: run.search ?? null,
    warnings: run.warnings,
  };
}

/** Reads a result file's JSON, refusing anything that is not a bench result (with the reason). */
export function parseResult(json: unknown, what: string): BenchResult {
  const r = BenchResultSchema.safeParse(json);
  if (!r.success) {
    const first = r.error.issues[0];
    throw new Error(
      `${what} is not an mq bench result: ${first.path.join('.') || '(root)'}: ${first.message}`,
    );
  }
  return r.data;
}
