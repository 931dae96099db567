/**
 * A self-contained HTML report of one or more bench results: summary table, throughput over
 * time, p99 latency over time, and the latency percentile spectrum on a log axis. Styles and
 * charts are inline (SVG, no scripts), nothing is fetched: it opens offline and can be mailed.
 */
import type { BenchResult } from '../tools/bench/result.js';
import { compareRows } from './compare-table.js';
import { escapeHtml, lineChart, PALETTE, type Series } from './svg-chart.js';

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:24px auto;max-width:1000px;color:#222;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.meta{color:#666}table{border-collapse:collapse;margin:8px 0}
td,th{padding:3px 10px;border-bottom:1px solid #e3e3e3;text-align:right;white-space:nowrap}
td:first-child,th:first-child{text-align:left;color:#444}
figure{margin:12px 0}figcaption{font-size:12px;color:#444}.key{margin-right:14px;white-space:nowrap}
.key svg{vertical-align:middle;margin-right:4px}
svg.chart text{font-size:11px;fill:#444}svg.chart .title{font-size:13px;font-weight:600;fill:#222}
svg.chart .grid{stroke:#eee}svg.chart .axis{font-size:12px}
.warn{color:#a15c00}.ok{color:#1a7f37}.fail{color:#c62828}pre{background:#f6f8fa;padding:10px;overflow:auto;font-size:12px}
`;

/** x position of percentile p (%) on the spectrum's log axis: log10(1 / (1 − p)). */
export function spectrumX(p: number): number {
  return Math.log10(100 / (100 - p));
}

const SPECTRUM_TICKS = [50, 90, 99, 99.9, 99.99, 99.999].map((p) => ({
  value: spectrumX(p),
  label: `${p}%`,
}));

function spectrumPoints(q: Record<string, number>): [number, number][] {
  return Object.entries(q)
    .map(([p, v]) => [Number(p), v] as const)
    .filter(([p]) => p >= 50 && p < 100)
    .sort((a, b) => a[0] - b[0])
    .map(([p, v]) => [spectrumX(p), v]);
}

export function renderHtmlReport(
  results: readonly BenchResult[],
  labels: readonly string[],
  title?: string,
): string {
  const heading =
    title ?? (results.length === 1 ? `mq bench: ${results[0].workload}` : 'mq bench comparison');
  const color = (i: number) => PALETTE[i % PALETTE.length];
  const timeline = (r: BenchResult) => r.intervals.filter((i) => i.phase !== 'drain');
  const throughput: Series[] = results.flatMap((r, i) => [
    {
      label: `${labels[i]} publish`,
      color: color(i),
      points: timeline(r).map((t) => [t.endSec, t.publishRate] as const),
    },
    ...(r.summary.consume
      ? [
          {
            label: `${labels[i]} consume`,
            color: color(i),
            dashed: true,
            points: timeline(r).map((t) => [t.endSec, t.consumeRate] as const),
          },
        ]
      : []),
  ]);
  const latencyOverTime: Series[] = results.flatMap((r, i) => [
    {
      label: `${labels[i]} publish p99`,
      color: color(i),
      points: timeline(r).map((t) => [t.endSec, t.publishLatency.p99] as const),
    },
    ...(r.summary.endToEnd
      ? [
          {
            label: `${labels[i]} end-to-end p99`,
            color: color(i),
            dashed: true,
            points: timeline(r).map((t) => [t.endSec, t.endToEnd.p99] as const),
          },
        ]
      : []),
  ]);
  const spectrum: Series[] = results.flatMap((r, i) => [
    {
      label: `${labels[i]} publish`,
      color: color(i),
      points: spectrumPoints(r.aggregatedPublishLatencyQuantiles),
    },
    ...(r.summary.endToEnd
      ? [
          {
            label: `${labels[i]} end-to-end`,
            color: color(i),
            dashed: true,
            points: spectrumPoints(r.aggregatedEndToEndLatencyQuantiles),
          },
        ]
      : []),
  ]);
  const rows = compareRows(results, labels);
  const tableHtml = `<table>${rows
    .map(
      (r, i) =>
        `<tr>${r.map((c) => (i === 0 ? `<th>${escapeHtml(c)}</th>` : `<td>${escapeHtml(c)}</td>`)).join('')}</tr>`,
    )
    .join('')}</table>`;
  const notes = results.flatMap((r, i) => [
    ...r.warnings.map((w) => `<li class="warn">${escapeHtml(labels[i])}: ${escapeHtml(w)}</li>`),
    ...(r.assertions ?? []).map(
      (a) =>
        `<li class="${a.ok ? 'ok' : 'fail'}">${a.ok ? '✓' : '✗'} ${escapeHtml(labels[i])}: ${escapeHtml(a.expression)} (actual ${a.actual === null ? 'not measured' : escapeHtml(String(+a.actual.toPrecision(4)))} ${escapeHtml(a.unit)})</li>`,
    ),
  ]);
  const env = results[0]?.environment;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(heading)}</title><style>${STYLE}</style></head><body>
<h1>${escapeHtml(heading)}</h1>
<p class="meta">${results.map((r, i) => `${escapeHtml(labels[i])}: started ${escapeHtml(r.startedAt)}, driver ${escapeHtml(r.driver)}`).join('<br>')}${
    env
      ? `<br>${escapeHtml(`${env.hostname}: ${env.cpus} × ${env.cpuModel}, node ${env.node}, ${env.platform}/${env.arch}`)}`
      : ''
  }</p>
<h2>Summary</h2>${tableHtml}
${notes.length > 0 ? `<ul>${notes.join('')}</ul>` : ''}
<h2>Throughput</h2>${lineChart({ title: 'Throughput over time', xLabel: 'seconds since start', yLabel: 'msg/s', series: throughput })}
<h2>Latency over time</h2>${lineChart({ title: 'p99 latency per interval', xLabel: 'seconds since start', yLabel: 'ms', series: latencyOverTime })}
<h2>Latency percentile spectrum</h2>${lineChart({ title: 'Latency by percentile (log axis)', xLabel: 'percentile', yLabel: 'ms', series: spectrum, xTicks: SPECTRUM_TICKS })}
<p class="meta">Latency is measured from each message's intended send time (so a stall counts against every message it delayed); end-to-end latency compares send and receive times on one host clock.</p>
<h2>Workloads</h2>${results.map((r, i) => `<h3>${escapeHtml(labels[i])}</h3><pre>${escapeHtml(JSON.stringify(r.config, null, 2))}</pre>`).join('')}
</body></html>
`;
}
