/**
 * Latency histograms: the one place their bounds and precision are decided.
 *
 * Every latency mq measures is recorded in microseconds in an HdrHistogram (hdr-histogram-js,
 * WebAssembly build) covering 1 µs .. 1 h at 3 significant digits: any value is kept within
 * 0.1% of itself, and values outside the range are clamped to it (counted, never dropped).
 * Workers encode their interval histograms (compressed base64, the HdrHistogram log format's
 * payload) and the main thread decodes and adds them; histograms built elsewhere with the same
 * bounds merge exactly.
 *
 * WebAssembly histograms live outside the JS heap: whoever creates or decodes one destroys it.
 * `initHistograms()` must be awaited once per thread before any histogram is built.
 */
import {
  build,
  decodeFromCompressedBase64,
  encodeIntoCompressedBase64,
  type Histogram,
  initWebAssembly,
} from 'hdr-histogram-js';

export type { Histogram };

/** Bounds of every latency histogram, in microseconds. */
export const LATENCY_BOUNDS = {
  lowestDiscernibleValue: 1,
  highestTrackableValue: 3_600_000_000,
  numberOfSignificantValueDigits: 3,
} as const;

const BIT_BUCKET_SIZE = 32;

let ready: Promise<void> | null = null;

/** Loads the WebAssembly module once per thread. */
export function initHistograms(): Promise<void> {
  ready ??= initWebAssembly();
  return ready;
}

export function createLatencyHistogram(): Histogram {
  return build({
    ...LATENCY_BOUNDS,
    bitBucketSize: BIT_BUCKET_SIZE,
    autoResize: false,
    useWebAssembly: true,
  });
}

/** Records a latency in µs, rounded and clamped to the histogram's range. */
export function recordMicros(h: Histogram, micros: number): void {
  h.recordValue(clampMicros(micros));
}

/** Records `count` occurrences of one latency. */
export function recordMicrosWithCount(h: Histogram, micros: number, count: number): void {
  if (count > 0) h.recordValueWithCount(clampMicros(micros), count);
}

export function clampMicros(micros: number): number {
  if (!(micros > 0)) return 0;
  return Math.min(Math.round(micros), LATENCY_BOUNDS.highestTrackableValue);
}

/** Compressed base64, as in HdrHistogram logs; the empty string for an empty histogram. */
export function encodeHistogram(h: Histogram): string {
  return h.totalCount === 0 ? '' : encodeIntoCompressedBase64(h);
}

/** A new histogram holding the encoded one's counts (with our bounds, so it merges). */
export function decodeHistogram(encoded: string): Histogram {
  const h = createLatencyHistogram();
  if (encoded !== '') addEncoded(h, encoded);
  return h;
}

/** Adds an encoded histogram's counts to `into`. */
export function addEncoded(into: Histogram, encoded: string): void {
  if (encoded === '') return;
  const decoded = decodeFromCompressedBase64(encoded, BIT_BUCKET_SIZE, true);
  try {
    into.add(decoded);
  } finally {
    decoded.destroy();
  }
}

/** Merges encoded histograms into one new encoded histogram. */
export function mergeEncoded(encoded: readonly string[]): string {
  const h = createLatencyHistogram();
  try {
    for (const e of encoded) addEncoded(h, e);
    return encodeHistogram(h);
  } finally {
    h.destroy();
  }
}

/** The percentiles every report shows, in µs; zeros for an empty histogram. */
export interface LatencySummary {
  count: number;
  avg: number;
  p50: number;
  p75: number;
  p95: number;
  p99: number;
  p999: number;
  p9999: number;
  p99999: number;
  max: number;
}

export const SUMMARY_PERCENTILES = {
  p50: 50,
  p75: 75,
  p95: 95,
  p99: 99,
  p999: 99.9,
  p9999: 99.99,
  p99999: 99.999,
} as const;

export function summarize(h: Histogram): LatencySummary {
  const count = h.totalCount;
  if (count === 0) {
    return { count: 0, avg: 0, p50: 0, p75: 0, p95: 0, p99: 0, p999: 0, p9999: 0, p99999: 0, max: 0 };
  }
  const out = { count, avg: h.mean, max: h.maxValue } as LatencySummary;
  for (const [name, p] of Object.entries(SUMMARY_PERCENTILES)) {
    out[name as keyof typeof SUMMARY_PERCENTILES] = h.getValueAtPercentile(p);
  }
  return out;
}

/**
 * Percentiles for a latency spectrum (a percentile chart's x axis is 1/(1 − p), log scale):
 * 25 and 50, then four points per "nine" from 82.2% to 99.999%, then 100 (the max).
 */
export const SPECTRUM_PERCENTILES: readonly number[] = [
  25,
  50,
  ...Array.from({ length: 18 }, (_, i) => Number((100 - 100 / 10 ** ((i + 3) / 4)).toFixed(4))),
  100,
];

/** percentile (as a string key, e.g. "99.9") → value in µs; empty for an empty histogram. */
export function quantileMap(h: Histogram, percentiles = SPECTRUM_PERCENTILES): Record<string, number> {
  const out: Record<string, number> = {};
  if (h.totalCount === 0) return out;
  for (const p of percentiles) out[String(p)] = p >= 100 ? h.maxValue : h.getValueAtPercentile(p);
  return out;
}

/** Builds a histogram, hands it to `fn`, and destroys it afterwards. */
export function withHistogram<T>(fn: (h: Histogram) => T): T {
  const h = createLatencyHistogram();
  try {
    return fn(h);
  } finally {
    h.destroy();
  }
}
