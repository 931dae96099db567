/**
 * Arrival, drain and net rates over a sliding window, and the ETA they give.
 *
 * arrival = growth of the log end offsets, drain = messages processed (redeliveries included),
 * net = drain − arrival: positive while the backlog shrinks. The ETA is remaining / net, and
 * null when the backlog does not shrink (arrivals outpace the drain).
 */

export interface RateSample {
  /** Seconds since the drain started, when `processed` was read. */
  t: number;
  processed: number;
  /** Σ log end offsets (the original topic), read at `endT` (default `t`). */
  endSum: number;
  endT?: number;
}

export interface Rates {
  arrival: number;
  drain: number;
  net: number;
}

export class RateWindow {
  private readonly samples: RateSample[] = [];

  constructor(private readonly windowSec = 5) {}

  add(s: RateSample): void {
    this.samples.push(s);
    while (this.samples.length > 2 && s.t - this.samples[1].t >= this.windowSec) this.samples.shift();
  }

  /** Over the window (at least the last two samples); zeros before there are two. */
  rates(): Rates {
    const n = this.samples.length;
    if (n < 2) return { arrival: 0, drain: 0, net: 0 };
    return ratesBetween(this.samples[0], this.samples[n - 1]);
  }

  /** Between the last two samples. */
  latest(): Rates {
    const n = this.samples.length;
    if (n < 2) return { arrival: 0, drain: 0, net: 0 };
    return ratesBetween(this.samples[n - 2], this.samples[n - 1]);
  }
}

export function ratesBetween(a: RateSample, b: RateSample): Rates {
  const dt = Math.max(b.t - a.t, 1e-6);
  const endDt = Math.max((b.endT ?? b.t) - (a.endT ?? a.t), 1e-6);
  const arrival = Math.max(0, (b.endSum - a.endSum) / endDt);
  const drain = Math.max(0, (b.processed - a.processed) / dt);
  return { arrival, drain, net: drain - arrival };
}

/** Seconds until `remaining` is gone at `net` msg/s; null when it does not shrink. */
export function etaSeconds(remaining: number, net: number): number | null {
  if (remaining <= 0) return 0;
  return net > 0 ? remaining / net : null;
}
