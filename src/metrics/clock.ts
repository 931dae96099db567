/**
 * The clock every latency is measured on: microseconds since the Unix epoch, from
 * `performance.timeOrigin + performance.now()`.
 *
 * Within a thread it is monotonic (now() is; timeOrigin is fixed when the thread starts).
 * Across worker threads of one process the readings are comparable: each thread's timeOrigin is
 * taken from the same system clock when the thread starts, so they agree to within that read's
 * precision (microseconds). Across hosts they are only as close as the hosts' clocks are.
 */
import { performance } from 'node:perf_hooks';

const origin = performance.timeOrigin;

export function nowMicros(): number {
  return (origin + performance.now()) * 1000;
}
