/**
 * From `mq drain-backlog` flags (strings as typed) to DrainOptions: durations ("5ms", "30s"),
 * rates ("20k"), the handler path made absolute. Bad values are UsageErrors (exit 2).
 */
import { parseDuration, UsageError } from '../../cli/units.js';
import { parseRate } from '../bench/cli-options.js';
import { resolveHandlerPath } from './handler.js';
import { DRAIN_DEFAULTS, type DrainOptions, withDrainDefaults } from './options.js';

export interface DrainFlagValues {
  brokers: string;
  driver: string;
  topic: string;
  group: string;
  consumers?: number;
  work?: string;
  handler?: string;
  'max-retries'?: number;
  'retry-backoff'?: string;
  dlq?: string;
  'max-rate'?: string;
  burst?: string;
  'drain-ratio'?: string;
  timeout?: string;
  fanout?: number;
  dispatchers?: number;
  'produce-rate'?: string;
  interval?: string;
  'commit-interval'?: string;
}

function rate(input: string | undefined, what: string): number | null {
  if (input === undefined) return null;
  const r = parseRate(input, what);
  if (typeof r !== 'number' || !(r > 0)) throw new UsageError(`${what}: give a positive number of msg/s`);
  return r;
}

export function drainOptionsFromFlags(f: DrainFlagValues): DrainOptions {
  const ratio = f['drain-ratio'] === undefined ? DRAIN_DEFAULTS.drainRatio : Number(f['drain-ratio']);
  if (!Number.isFinite(ratio)) throw new UsageError(`--drain-ratio: "${f['drain-ratio']}" is not a number`);
  return withDrainDefaults({
    driver: f.driver,
    brokers: f.brokers,
    topic: f.topic,
    group: f.group,
    consumers: f.consumers ?? DRAIN_DEFAULTS.consumers,
    processing: {
      workMicros: f.work === undefined ? 0 : parseDuration(f.work, '--work') * 1000,
      handlerFile: f.handler === undefined ? null : resolveHandlerPath(f.handler),
      maxRetries: f['max-retries'] ?? DRAIN_DEFAULTS.maxRetries,
      retryBackoffMs:
        f['retry-backoff'] === undefined
          ? DRAIN_DEFAULTS.retryBackoffMs
          : parseDuration(f['retry-backoff'], '--retry-backoff'),
      dlqTopic: f.dlq ?? null,
    },
    maxRate: rate(f['max-rate'], '--max-rate'),
    burstMs: f.burst === undefined ? DRAIN_DEFAULTS.burstMs : parseDuration(f.burst, '--burst'),
    drainRatio: ratio,
    timeoutMs: f.timeout === undefined ? null : parseDuration(f.timeout, '--timeout'),
    fanout: f.fanout ?? DRAIN_DEFAULTS.fanout,
    dispatchers: f.dispatchers ?? DRAIN_DEFAULTS.dispatchers,
    produceRate: rate(f['produce-rate'], '--produce-rate'),
    intervalMs:
      f.interval === undefined ? DRAIN_DEFAULTS.intervalMs : parseDuration(f.interval, '--interval'),
    commitIntervalMs:
      f['commit-interval'] === undefined
        ? DRAIN_DEFAULTS.commitIntervalMs
        : parseDuration(f['commit-interval'], '--commit-interval'),
  });
}
