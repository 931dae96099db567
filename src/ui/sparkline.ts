/** A one-line chart of the last `width` values, scaled from 0 to their maximum. */
const BARS = '▁▂▃▄▅▆▇█';

export function sparkline(values: readonly number[], width = 40): string {
  const xs = values.slice(-width);
  const max = Math.max(0, ...xs);
  if (xs.length === 0) return '';
  if (max <= 0) return BARS[0].repeat(xs.length);
  return xs
    .map((v) => BARS[Math.min(BARS.length - 1, Math.max(0, Math.round((v / max) * (BARS.length - 1))))])
    .join('');
}
