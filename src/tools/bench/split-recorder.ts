/**
 * A latency recorder for one worker: two interval histograms, chosen by the intended send time
 * of the message measured (before the measurement start → warm-up, else measured), encoded and
 * reset on every report.
 */
import {
  createLatencyHistogram,
  encodeHistogram,
  type Histogram,
  recordMicros,
} from '../../metrics/histogram.js';
import type { SplitHistogram } from './messages.js';

export class SplitRecorder {
  private readonly warmup: Histogram = createLatencyHistogram();
  private readonly measured: Histogram = createLatencyHistogram();
  measureFromMicros = Number.POSITIVE_INFINITY;

  record(intendedMicros: number, latencyMicros: number): void {
    recordMicros(intendedMicros < this.measureFromMicros ? this.warmup : this.measured, latencyMicros);
  }

  take(): SplitHistogram {
    const out = { warmup: encodeHistogram(this.warmup), measured: encodeHistogram(this.measured) };
    this.warmup.reset();
    this.measured.reset();
    return out;
  }

  destroy(): void {
    this.warmup.destroy();
    this.measured.destroy();
  }
}
