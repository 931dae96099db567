/**
 * `--max-rate`: one token bucket shared by every processing thread, so the cap is on the total
 * whatever the number of consumers and however partitions are spread over them.
 *
 * It is kept as GCRA (the generic cell rate algorithm, a token bucket written as one number): the
 * "theoretical arrival time" TAT, in ns on the clock of metrics/clock.ts, lives in a
 * SharedArrayBuffer and is advanced with compare-and-swap. Reserving n tokens moves TAT by
 * n / rate; the caller waits until the old TAT (less the burst allowance) before using them.
 *
 * The bucket holds at most `burst` seconds of tokens (Guava's SmoothBursty keeps one second) and
 * starts empty, at the first reservation. So the rate is made up after a stall (a fetch, a GC
 * pause, a descheduled thread) for up to `burst`, and idle time beyond it is lost: over any
 * window W at most rate × (W + burst) + one reservation are granted, and a drain that never
 * stalled stays at the rate from its first message on.
 */
import { nowMicros } from '../../metrics/clock.js';

/** Plain data: crosses to worker threads (the buffer is shared, not copied). */
export interface TokenBucketSpec {
  buffer: SharedArrayBuffer;
  ratePerSec: number;
  burstSec: number;
}

/** One second, as Guava's RateLimiter keeps: made-up stalls, at most a second's extra after one. */
export const DEFAULT_BURST_SEC = 1;

export function createTokenBucket(ratePerSec: number, burstSec = DEFAULT_BURST_SEC): TokenBucketSpec {
  if (!(ratePerSec > 0)) throw new RangeError(`rate must be positive, got ${ratePerSec}`);
  if (!(burstSec >= 0)) throw new RangeError(`burst must be ≥ 0, got ${burstSec}`);
  return { buffer: new SharedArrayBuffer(8), ratePerSec, burstSec };
}

export class SharedTokenBucket {
  private readonly tat: BigInt64Array;
  private readonly nsPerToken: number;
  private readonly burstNs: bigint;

  constructor(
    readonly spec: TokenBucketSpec,
    private readonly clockMicros: () => number = nowMicros,
  ) {
    this.tat = new BigInt64Array(spec.buffer);
    this.nsPerToken = 1e9 / spec.ratePerSec;
    this.burstNs = BigInt(Math.round(spec.burstSec * 1e9));
  }

  /** Tokens worth `ms` milliseconds at the cap, at least 1: a sensible reservation size. */
  tokensPer(ms: number): number {
    return Math.max(1, Math.floor((this.spec.ratePerSec * ms) / 1000));
  }

  /** Reserves `n` tokens; returns how many ms to wait before using them (0 = now). */
  reserve(n: number): number {
    const now = BigInt(Math.round(this.clockMicros() * 1000));
    const cost = BigInt(Math.round(n * this.nsPerToken));
    for (;;) {
      const old = Atomics.load(this.tat, 0);
      // 0: never used — the bucket starts empty now, not full.
      const floor = old === 0n ? now : now - this.burstNs;
      const start = old > floor ? old : floor;
      if (Atomics.compareExchange(this.tat, 0, old, start + cost) === old) {
        const waitNs = start - now;
        return waitNs > 0n ? Number(waitNs) / 1e6 : 0;
      }
    }
  }
}
