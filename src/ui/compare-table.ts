/**
 * Side-by-side comparison of bench results: one column per result, one row per figure; numeric
 * cells after the first column carry their ratio to the first result ("×1.21").
 */
import type { BenchResult, LatencyMs } from '../tools/bench/result.js';
import { grouped, mbps, ms, seconds, table } from './format.js';

interface Row {
  label: string;
  value: (r: BenchResult) => number | string | null;
  format?: (v: number) => string;
}

const lat = (pick: (r: BenchResult) => LatencyMs | null, q: keyof LatencyMs): Row['value'] => {
  return (r) => {
    const l = pick(r);
    return l && l.count > 0 ? l[q] : null;
  };
};

const ROWS: Row[] = [
  { label: 'workload', value: (r) => r.workload },
  { label: 'driver', value: (r) => r.driver },
  { label: 'message size B', value: (r) => r.messageSize, format: grouped },
  { label: 'topics × partitions', value: (r) => `${r.topics} × ${r.partitions}` },
  { label: 'producers / consumers', value: (r) => `${r.producersPerTopic} / ${r.consumersPerTopic}` },
  {
    label: 'target rate',
    value: (r) => (r.config.rateMode === 'fixed' ? (r.config.targetRate ?? 0) : r.config.rateMode),
    format: grouped,
  },
  { label: 'measured', value: (r) => seconds(r.summary.measuredSeconds) },
  { label: 'publish msg/s', value: (r) => r.summary.publish.rate, format: grouped },
  { label: 'publish MB/s', value: (r) => r.summary.publish.mbps, format: mbps },
  { label: 'consume msg/s', value: (r) => r.summary.consume?.rate ?? null, format: grouped },
  { label: 'publish p50 ms', value: lat((r) => r.summary.publish.latency, 'p50'), format: ms },
  { label: 'publish p99 ms', value: lat((r) => r.summary.publish.latency, 'p99'), format: ms },
  { label: 'publish p99.9 ms', value: lat((r) => r.summary.publish.latency, 'p999'), format: ms },
  { label: 'publish max ms', value: lat((r) => r.summary.publish.latency, 'max'), format: ms },
  { label: 'publish delay p99 ms', value: lat((r) => r.summary.publishDelay, 'p99'), format: ms },
  { label: 'end-to-end p50 ms', value: lat((r) => r.summary.endToEnd, 'p50'), format: ms },
  { label: 'end-to-end p99 ms', value: lat((r) => r.summary.endToEnd, 'p99'), format: ms },
  { label: 'end-to-end p99.9 ms', value: lat((r) => r.summary.endToEnd, 'p999'), format: ms },
  { label: 'end-to-end max ms', value: lat((r) => r.summary.endToEnd, 'max'), format: ms },
  { label: 'errors', value: (r) => r.totals.errors, format: grouped },
  {
    label: 'sent / acked / received',
    value: (r) => `${grouped(r.totals.sent)} / ${grouped(r.totals.acked)} / ${grouped(r.totals.received)}`,
  },
  { label: 'max sustainable msg/s', value: (r) => r.rateSearch?.maxSustainableRate ?? null, format: grouped },
];

/** Header row (labels of the results) then one row per figure; rows no result has are left out. */
export function compareRows(results: readonly BenchResult[], labels: readonly string[]): string[][] {
  const out: string[][] = [['', ...labels]];
  for (const row of ROWS) {
    const values = results.map(row.value);
    if (values.every((v) => v === null)) continue;
    const first = values[0];
    out.push([
      row.label,
      ...values.map((v, i) => {
        if (v === null) return '—';
        if (typeof v === 'string') return v;
        const text = (row.format ?? String)(v);
        return i > 0 && typeof first === 'number' && first > 0 && row.format
          ? `${text} (×${(v / first).toFixed(2)})`
          : text;
      }),
    ]);
  }
  return out;
}

export function compareTable(results: readonly BenchResult[], labels: readonly string[]): string {
  return table(compareRows(results, labels));
}
