/**
 * The search for the maximum sustainable publish rate, as a pure decision procedure: the runner
 * runs a step at `next()` msg/s, measures it, and `record()`s what it saw.
 *
 * A rate is sustainable when the producers achieved it (≥ 95% of the target acknowledged), the
 * backlog did not grow by more than `acceptableBacklog` messages over the step (consumers kept
 * up), and the publish delay p99 stayed under `acceptablePublishDelayMs` (producers kept to the
 * schedule). The rate doubles from `startRate` until a step fails (or halves until one passes),
 * then bisects between the best passing and the lowest failing rate until they are within 5%.
 */

export interface SearchSettings {
  startRate: number;
  acceptableBacklog: number;
  acceptablePublishDelayMs: number;
}

export interface StepMeasurement {
  achievedRate: number;
  backlogStart: number;
  backlogEnd: number;
  publishDelayP99Micros: number;
}

export interface SearchStep {
  rate: number;
  achievedRate: number;
  backlogGrowth: number;
  publishDelayP99Ms: number;
  sustainable: boolean;
  /** Why the step failed, when it did. */
  reason?: string;
}

const ACHIEVED = 0.95;
const RESOLUTION = 0.05;

export class RateSearch {
  readonly steps: SearchStep[] = [];
  private good = 0;
  private bad = Number.POSITIVE_INFINITY;
  private current: number;

  constructor(private readonly s: SearchSettings) {
    this.current = Math.round(s.startRate);
  }

  /** Highest sustainable rate found so far (0 when none). */
  get best(): number {
    return this.good;
  }

  get done(): boolean {
    return Number.isFinite(this.bad) && this.good > 0 && (this.bad - this.good) / this.bad < RESOLUTION;
  }

  /** The rate to try next. */
  next(): number {
    return this.current;
  }

  record(m: StepMeasurement): SearchStep {
    const rate = this.current;
    const growth = m.backlogEnd - m.backlogStart;
    const delayMs = m.publishDelayP99Micros / 1000;
    const reasons: string[] = [];
    if (m.achievedRate < ACHIEVED * rate) reasons.push(`published ${Math.round(m.achievedRate)} msg/s`);
    if (growth > this.s.acceptableBacklog) reasons.push(`backlog grew by ${growth}`);
    if (delayMs > this.s.acceptablePublishDelayMs) reasons.push(`publish delay p99 ${delayMs.toFixed(1)} ms`);
    const sustainable = reasons.length === 0;
    const step: SearchStep = {
      rate,
      achievedRate: m.achievedRate,
      backlogGrowth: growth,
      publishDelayP99Ms: delayMs,
      sustainable,
      ...(sustainable ? {} : { reason: reasons.join(', ') }),
    };
    this.steps.push(step);
    if (sustainable) this.good = Math.max(this.good, rate);
    else this.bad = Math.min(this.bad, rate);
    if (!Number.isFinite(this.bad)) this.current = rate * 2;
    else if (this.good === 0) this.current = Math.max(1, Math.round(rate / 2));
    else this.current = Math.round((this.good + this.bad) / 2);
    return step;
  }
}
