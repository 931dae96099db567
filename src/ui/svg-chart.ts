/**
 * A small line chart as inline SVG markup (no scripts, no external references), for the HTML
 * report. Axes map data to pixels linearly; a log axis is drawn by passing log-transformed x
 * values and ticks. Points with non-finite coordinates are skipped.
 */

export interface Series {
  label: string;
  color: string;
  dashed?: boolean;
  points: readonly (readonly [number, number])[];
}

export interface Tick {
  value: number;
  label: string;
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  /** Default: five even ticks over the data. */
  xTicks?: readonly Tick[];
  width?: number;
  height?: number;
}

export const PALETTE = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
];

export function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

function niceStep(range: number, count: number): number {
  const raw = range / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw || 1));
  const n = raw / mag;
  return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * mag;
}

function fmt(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toFixed(2)}M`;
  if (a >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
  return String(+v.toPrecision(3));
}

export function lineChart(spec: ChartSpec): string {
  const W = spec.width ?? 760;
  const H = spec.height ?? 320;
  const m = { left: 64, right: 16, top: 28, bottom: 48 };
  const pts = spec.series.flatMap((s) =>
    s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)),
  );
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const tickXs = spec.xTicks?.map((t) => t.value) ?? [];
  const x0 = Math.min(...xs, ...tickXs, Number.POSITIVE_INFINITY);
  const x1 = Math.max(...xs, ...tickXs, Number.NEGATIVE_INFINITY);
  const xmin = Number.isFinite(x0) ? x0 : 0;
  const xmax = Number.isFinite(x1) && x1 > xmin ? x1 : xmin + 1;
  const yStep = niceStep(Math.max(...ys, 0) || 1, 5);
  const ymax = Math.max(yStep, Math.ceil((Math.max(...ys, 0) || 1) / yStep) * yStep);
  const px = (x: number) => m.left + ((x - xmin) / (xmax - xmin)) * (W - m.left - m.right);
  const py = (y: number) => H - m.bottom - (y / ymax) * (H - m.top - m.bottom);
  const out: string[] = [
    `<svg class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(spec.title)}">`,
    `<text x="${W / 2}" y="18" text-anchor="middle" class="title">${escapeHtml(spec.title)}</text>`,
  ];
  for (let y = 0; y <= ymax + 1e-9; y += yStep) {
    out.push(
      `<line x1="${m.left}" x2="${W - m.right}" y1="${py(y)}" y2="${py(y)}" class="grid"/>`,
      `<text x="${m.left - 6}" y="${py(y) + 4}" text-anchor="end">${fmt(y)}</text>`,
    );
  }
  const xTicks =
    spec.xTicks ??
    Array.from({ length: 6 }, (_, i) => {
      const v = xmin + ((xmax - xmin) * i) / 5;
      return { value: v, label: fmt(v) };
    });
  for (const t of xTicks) {
    out.push(
      `<line x1="${px(t.value)}" x2="${px(t.value)}" y1="${m.top}" y2="${H - m.bottom}" class="grid"/>`,
      `<text x="${px(t.value)}" y="${H - m.bottom + 16}" text-anchor="middle">${escapeHtml(t.label)}</text>`,
    );
  }
  out.push(
    `<text x="${W / 2}" y="${H - 8}" text-anchor="middle" class="axis">${escapeHtml(spec.xLabel)}</text>`,
    `<text x="14" y="${H / 2}" text-anchor="middle" transform="rotate(-90 14 ${H / 2})" class="axis">${escapeHtml(spec.yLabel)}</text>`,
  );
  for (const s of spec.series) {
    const d = s.points
      .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y))
      .map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${px(x).toFixed(1)},${py(y).toFixed(1)}`)
      .join('');
    if (d) {
      out.push(
        `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}><title>${escapeHtml(s.label)}</title></path>`,
      );
    }
  }
  out.push('</svg>');
  const legend = spec.series
    .map(
      (s) =>
        `<span class="key"><svg width="24" height="10"><line x1="0" x2="24" y1="5" y2="5" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/></svg>${escapeHtml(s.label)}</span>`,
    )
    .join(' ');
  return `<figure>${out.join('')}<figcaption>${legend}</figcaption></figure>`;
}
