/** Number formatting shared by the live view, the plain lines, tables and the HTML report. */

/** 1234567 → "1.23M", 52345 → "52.3k", 812 → "812". */
export function compact(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (a >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  if (a >= 1e3) return `${(n / 1e3).toFixed(2)}k`;
  return a >= 100 || Number.isInteger(n) ? String(Math.round(n)) : n.toFixed(1);
}

/** Grouped digits: 1234567 → "1,234,567". */
export function grouped(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A latency given in ms, at a precision that suits its size: "0.042", "3.21", "48.2", "1203". */
export function ms(v: number): string {
  if (v === 0) return '0';
  if (v < 0.1) return v.toFixed(3);
  if (v < 10) return v.toFixed(2);
  if (v < 100) return v.toFixed(1);
  return String(Math.round(v));
}

/** A latency given in µs, shown in ms. */
export function usAsMs(v: number): string {
  return ms(v / 1000);
}

export function mbps(v: number): string {
  return v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : String(Math.round(v));
}

export function seconds(s: number): string {
  return s < 60
    ? `${s.toFixed(1)}s`
    : `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}

/** Left- or right-aligned table: rows of cells, first row a header, numbers right-aligned. */
export function table(rows: readonly (readonly string[])[], alignLeft: readonly number[] = [0]): string {
  const widths: number[] = [];
  for (const r of rows) {
    r.forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, [...c].length);
    });
  }
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => (alignLeft.includes(i) ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  const [head, ...body] = rows;
  return [line(head), widths.map((w) => '─'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
