/**
 * Rate control for one producer: the intended send schedule (wrk2's idea).
 *
 * At a fixed rate r, message i (counted from the last rate change at time t0, sequence s0) is
 * intended at t0 + (i − s0) / r. The producer sends every message whose intended time has come,
 * however late, so a stall shows up as latency measured from the intended time rather than as
 * messages silently not sent (coordinated omission). How late sending itself was is the publish
 * delay, reported on its own. Without a rate (max) each message is intended when it is sent.
 *
 * Times are µs on the clock of metrics/clock.ts.
 */
export class IntendedSchedule {
  private t0 = 0;
  private s0 = 0;
  private intervalMicros = 0;
  /** Next sequence number to send. */
  next = 0;

  /** `perSecond` null = unthrottled. */
  constructor(
    private perSecond: number | null,
    startMicros: number,
  ) {
    this.setRate(perSecond, startMicros);
  }

  get rate(): number | null {
    return this.perSecond;
  }

  /** Changes the rate from `nowMicros` on; sequence numbers continue. */
  setRate(perSecond: number | null, nowMicros: number): void {
    if (perSecond !== null && !(perSecond > 0))
      throw new RangeError(`rate must be positive, got ${perSecond}`);
    this.perSecond = perSecond;
    this.t0 = nowMicros;
    this.s0 = this.next;
    this.intervalMicros = perSecond === null ? 0 : 1e6 / perSecond;
  }

  /** Intended send time of sequence `seq` (≥ the last rate change); NaN when unthrottled. */
  intendedAt(seq: number): number {
    if (this.perSecond === null) return Number.NaN;
    return this.t0 + (seq - this.s0) * this.intervalMicros;
  }

  /** How many messages are due at `nowMicros` and not yet taken (Infinity when unthrottled). */
  due(nowMicros: number): number {
    if (this.perSecond === null) return Number.POSITIVE_INFINITY;
    if (nowMicros < this.t0) return 0;
    const dueThrough = this.s0 + Math.floor((nowMicros - this.t0) / this.intervalMicros);
    return Math.max(0, dueThrough + 1 - this.next);
  }

  /** µs from `nowMicros` until the next message is due (0 when one is due now or unthrottled). */
  waitMicros(nowMicros: number): number {
    if (this.perSecond === null) return 0;
    return Math.max(0, this.intendedAt(this.next) - nowMicros);
  }

  /** Takes `count` sequence numbers; returns the first. */
  take(count: number): number {
    const first = this.next;
    this.next += count;
    return first;
  }
}
