/**
 * The drain's settings, as the service takes them (commands/drain-backlog.ts maps flags onto
 * them), their defaults, and the checks that turn a bad combination into a message the user can
 * act on (exit 2) before anything connects.
 */
import { DrainUsageError } from './errors.js';
import type { ProcessingSpec } from './processor.js';
import { DEFAULT_BURST_SEC } from './token-bucket.js';

export { DrainUsageError };

export interface DrainOptions {
  driver: string;
  brokers: string;
  topic: string;
  group: string;
  /** Consumer threads joined to the group (×fanout when fanning out). */
  consumers: number;
  processing: ProcessingSpec;
  /** Messages per second over all consumers, or null. */
  maxRate: number | null;
  /** Tokens the --max-rate bucket keeps for after a stall, in ms of the rate. */
  burstMs: number;
  /** Fraction of the starting backlog that counts as drained (1 = all of it). */
  drainRatio: number;
  /** Stop after draining this long (from when every consumer is in the group) with what is left (exit 3), or null. */
  timeoutMs: number | null;
  /** 1 = no fan-out; K = temporary topic with K× partitions and K× consumers. */
  fanout: number;
  dispatchers: number;
  /** Arrivals produced during the drain (a drill), msg/s, or null. */
  produceRate: number | null;
  /** Payload size of those arrivals (default: the backlog's average, else 100). */
  produceMessageSize: number | null;
  intervalMs: number;
  commitIntervalMs: number;
  /** After an early stop, how long fan-out consumers may finish what was re-published. */
  fanoutGraceMs: number;
  /** Emit `reads` events with every handled message (for a checker; costs memory). */
  traceReads: boolean;
}

export const DRAIN_DEFAULTS = {
  consumers: 1,
  maxRetries: 3,
  retryBackoffMs: 10,
  drainRatio: 1,
  burstMs: DEFAULT_BURST_SEC * 1000,
  fanout: 1,
  dispatchers: 1,
  intervalMs: 1000,
  commitIntervalMs: 200,
  fanoutGraceMs: 10_000,
} as const;

export function withDrainDefaults(
  o: Pick<DrainOptions, 'driver' | 'brokers' | 'topic' | 'group'> & Partial<DrainOptions>,
): DrainOptions {
  const opts: DrainOptions = {
    consumers: DRAIN_DEFAULTS.consumers,
    processing: {
      workMicros: 0,
      handlerFile: null,
      maxRetries: DRAIN_DEFAULTS.maxRetries,
      retryBackoffMs: DRAIN_DEFAULTS.retryBackoffMs,
      dlqTopic: null,
    },
    maxRate: null,
    burstMs: DRAIN_DEFAULTS.burstMs,
    drainRatio: DRAIN_DEFAULTS.drainRatio,
    timeoutMs: null,
    fanout: DRAIN_DEFAULTS.fanout,
    dispatchers: DRAIN_DEFAULTS.dispatchers,
    produceRate: null,
    produceMessageSize: null,
    intervalMs: DRAIN_DEFAULTS.intervalMs,
    commitIntervalMs: DRAIN_DEFAULTS.commitIntervalMs,
    fanoutGraceMs: DRAIN_DEFAULTS.fanoutGraceMs,
    traceReads: false,
    ...o,
  };
  checkDrainOptions(opts);
  return opts;
}

export function checkDrainOptions(o: DrainOptions): void {
  const fail = (m: string) => {
    throw new DrainUsageError(m);
  };
  if (!o.topic) fail('--topic is required');
  if (!o.group) fail('--group is required');
  if (!(Number.isInteger(o.consumers) && o.consumers >= 1))
    fail(`--consumers must be ≥ 1, got ${o.consumers}`);
  if (!(Number.isInteger(o.fanout) && o.fanout >= 1)) fail(`--fanout must be ≥ 1, got ${o.fanout}`);
  if (!(Number.isInteger(o.dispatchers) && o.dispatchers >= 1)) fail(`--dispatchers must be ≥ 1`);
  if (!(o.drainRatio > 0 && o.drainRatio <= 1)) fail(`--drain-ratio must be in (0, 1], got ${o.drainRatio}`);
  if (o.maxRate !== null && !(o.maxRate > 0)) fail(`--max-rate must be positive, got ${o.maxRate}`);
  if (!(o.burstMs >= 0)) fail(`--burst must be ≥ 0`);
  if (o.produceRate !== null && !(o.produceRate > 0)) fail(`--produce-rate must be positive`);
  if (o.timeoutMs !== null && !(o.timeoutMs > 0)) fail(`--timeout must be positive`);
  const p = o.processing;
  if (!(Number.isInteger(p.maxRetries) && p.maxRetries >= 0)) fail(`--max-retries must be ≥ 0`);
  if (p.dlqTopic !== null && p.dlqTopic === o.topic) fail('--dlq must not be the topic being drained');
  if (p.dlqTopic !== null && !p.handlerFile) {
    fail('--dlq only receives messages a --handler failed on: give a --handler too');
  }
  if (!(o.intervalMs >= 50)) fail('--interval must be at least 50ms');
}
