/**
 * `--assert` thresholds over a bench result: `e2e.p99<10ms`, `publish.rate>100000`,
 * `publishDelay.p99.9<=5ms`, `consume.mbps>=20`, `publish.errors==0`.
 *
 * A threshold is `<metric> <op> <number>[unit]`, op one of < <= > >= ==. Latency metrics are
 * `publish.*`, `publishDelay.*` and `e2e.*` (also `endToEnd.*`) with avg, p50, p75, p95, p99,
 * p99.9 (p999), p99.99, p99.999 or max, compared in ms (units us, µs, ms, s). Counts and rates
 * take k / M suffixes. Parsing happens before the run, so a typo fails fast (exit 2).
 */
import type { BenchResult, LatencyMs } from './result.js';

export type Op = '<' | '<=' | '>' | '>=' | '==';

export interface Threshold {
  expression: string;
  metric: string;
  op: Op;
  /** In the metric's unit (ms for latencies). */
  value: number;
  unit: string;
}

export interface AssertionOutcome {
  expression: string;
  actual: number | null;
  unit: string;
  ok: boolean;
}

export class AssertionSyntaxError extends Error {
  override name = 'AssertionSyntaxError';
}

const QUANTILES: Record<string, keyof LatencyMs> = {
  avg: 'avg',
  p50: 'p50',
  p75: 'p75',
  p95: 'p95',
  p99: 'p99',
  p999: 'p999',
  'p99.9': 'p999',
  p9999: 'p9999',
  'p99.99': 'p9999',
  p99999: 'p99999',
  'p99.999': 'p99999',
  max: 'max',
};
const LATENCIES = {
  publish: 'publish',
  publishDelay: 'publishDelay',
  e2e: 'endToEnd',
  endToEnd: 'endToEnd',
} as const;

type Getter = (r: BenchResult) => number | null;
const SCALARS: Record<string, { unit: string; get: Getter }> = {
  'publish.rate': { unit: 'msg/s', get: (r) => r.summary.publish.rate },
  'publish.mbps': { unit: 'MB/s', get: (r) => r.summary.publish.mbps },
  'publish.errors': { unit: 'messages', get: (r) => r.summary.publish.errors },
  'consume.rate': { unit: 'msg/s', get: (r) => r.summary.consume?.rate ?? null },
  'consume.mbps': { unit: 'MB/s', get: (r) => r.summary.consume?.mbps ?? null },
  'backlog.final': { unit: 'messages', get: (r) => r.summary.backlog.final },
  'backlog.max': { unit: 'messages', get: (r) => r.summary.backlog.max },
  'totals.sent': { unit: 'messages', get: (r) => r.totals.sent },
  'totals.acked': { unit: 'messages', get: (r) => r.totals.acked },
  'totals.received': { unit: 'messages', get: (r) => r.totals.received },
  'totals.errors': { unit: 'messages', get: (r) => r.totals.errors },
  'rateSearch.maxSustainableRate': { unit: 'msg/s', get: (r) => r.rateSearch?.maxSustainableRate ?? null },
};

const TIME_UNITS: Record<string, number> = { us: 0.001, µs: 0.001, ms: 1, s: 1000 };
const COUNT_UNITS: Record<string, number> = { '': 1, k: 1e3, K: 1e3, m: 1e6, M: 1e6 };

function resolve(metric: string): { unit: string; get: Getter; latency: boolean } | null {
  const scalar = SCALARS[metric];
  if (scalar) return { ...scalar, latency: false };
  const dot = metric.indexOf('.');
  const family = LATENCIES[metric.slice(0, dot) as keyof typeof LATENCIES];
  const q = QUANTILES[metric.slice(dot + 1)];
  if (dot < 0 || !family || !q) return null;
  const get: Getter = (r) => {
    const s = family === 'publish' ? r.summary.publish.latency : r.summary[family];
    return s ? s[q] : null;
  };
  return { unit: 'ms', get, latency: true };
}

export function knownMetrics(): string[] {
  return [
    ...Object.keys(SCALARS),
    ...Object.keys(LATENCIES).flatMap((f) => ['p50', 'p99', 'p99.9', 'max'].map((q) => `${f}.${q}`)),
  ];
}

export function parseThreshold(expression: string): Threshold {
  const m =
    /^\s*([A-Za-z][\w.]*?)\s*(<=|>=|==|<|>)\s*([0-9]*\.?[0-9]+(?:e[+-]?\d+)?)\s*([a-zA-Zµ]*)\s*$/.exec(
      expression,
    );
  if (!m) {
    throw new AssertionSyntaxError(
      `--assert "${expression}": expected <metric><op><number>[unit], e.g. "e2e.p99<10ms" or "publish.rate>100000"`,
    );
  }
  const [, metric, op, raw, unit] = m;
  const target = resolve(metric);
  if (!target) {
    throw new AssertionSyntaxError(
      `--assert "${expression}": unknown metric "${metric}" (try: ${knownMetrics().join(', ')})`,
    );
  }
  const scale = target.latency ? TIME_UNITS[unit || 'ms'] : COUNT_UNITS[unit];
  if (scale === undefined) {
    const allowed = target.latency ? Object.keys(TIME_UNITS) : ['k', 'M'];
    throw new AssertionSyntaxError(
      `--assert "${expression}": unit "${unit}" does not fit ${metric} (${target.unit}; use ${allowed.join(', ')})`,
    );
  }
  return {
    expression: expression.trim(),
    metric,
    op: op as Op,
    value: Number(raw) * scale,
    unit: target.unit,
  };
}

function compare(actual: number, op: Op, value: number): boolean {
  switch (op) {
    case '<':
      return actual < value;
    case '<=':
      return actual <= value;
    case '>':
      return actual > value;
    case '>=':
      return actual >= value;
    case '==':
      return actual === value;
  }
}

/** Checks every threshold; a metric the run did not measure (no consumers, say) fails. */
export function evaluateThresholds(
  result: BenchResult,
  thresholds: readonly Threshold[],
): AssertionOutcome[] {
  return thresholds.map((t) => {
    const actual = resolve(t.metric)!.get(result);
    return {
      expression: t.expression,
      actual,
      unit: t.unit,
      ok: actual !== null && compare(actual, t.op, t.value),
    };
  });
}
