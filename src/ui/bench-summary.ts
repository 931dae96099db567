/**
 * The final summary of a bench run as text (TTY and plain output alike): rates and latency
 * percentiles per measurement, totals, the rate search outcome, warnings and --assert verdicts.
 */
import type { AssertionOutcome } from '../tools/bench/assertions.js';
import type { BenchResult, LatencyMs } from '../tools/bench/result.js';
import { grouped, mbps, ms, seconds, table } from './format.js';

const NONE = '—';

function latencyCells(l: LatencyMs | null): string[] {
  if (!l || l.count === 0) return [NONE, NONE, NONE, NONE, NONE, NONE];
  return [ms(l.avg), ms(l.p50), ms(l.p99), ms(l.p999), ms(l.p9999), ms(l.max)];
}

export function summaryTable(r: BenchResult): string {
  const s = r.summary;
  const rows: string[][] = [
    ['', 'msg/s', 'MB/s', 'avg', 'p50', 'p99', 'p99.9', 'p99.99', 'max ms'],
    ['publish', grouped(s.publish.rate), mbps(s.publish.mbps), ...latencyCells(s.publish.latency)],
    ['publish delay', NONE, NONE, ...latencyCells(s.publishDelay)],
    [
      'consume',
      s.consume ? grouped(s.consume.rate) : NONE,
      s.consume ? mbps(s.consume.mbps) : NONE,
      ...latencyCells(null),
    ],
    ['end-to-end', NONE, NONE, ...latencyCells(s.endToEnd)],
  ];
  const t = r.totals;
  const lines = [
    `mq bench summary: ${r.workload} (driver ${r.driver}, ${seconds(s.measuredSeconds)} measured)`,
    table(rows),
    `totals: sent ${grouped(t.sent)}, acked ${grouped(t.acked)}, received ${grouped(t.received)}, ` +
      `errors ${grouped(t.errors)}, final backlog ${grouped(s.backlog.final)}`,
  ];
  if (r.rateSearch) {
    lines.push(`rate search: maximum sustainable rate ${grouped(r.rateSearch.maxSustainableRate)} msg/s`);
  }
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  for (const a of r.assertions ?? []) lines.push(assertionLine(a));
  return lines.join('\n');
}

export function assertionLine(a: AssertionOutcome): string {
  const actual =
    a.actual === null ? 'not measured' : `${a.unit === 'ms' ? ms(a.actual) : grouped(a.actual)} ${a.unit}`;
  return `${a.ok ? '✓' : '✗'} ${a.expression} (actual ${actual})`;
}
