/**
 * Per-partition log configuration (Kafka's topic-level segment.bytes, segment.ms, retention.bytes,
 * retention.ms, index.interval.bytes, plus mq's flush policy), its defaults and its validation.
 * A topic may override any field; the overrides are stored in each partition dir as config.json
 * (see log-manager.ts).
 */
import { StorageConfigError } from './errors.js';
import { type FlushPolicy, validateFlushPolicy } from './flush-policy.js';

export interface LogConfig {
  /** Roll to a new segment before the active one would exceed this many bytes. */
  segmentBytes: number;
  /** Roll to a new segment once the active one is this old. */
  segmentMs: number;
  /** Delete old segments while the partition would still hold this many bytes without them; -1 = unlimited. */
  retentionBytes: number;
  /** Delete segments whose newest batch is older than this; -1 = unlimited. */
  retentionMs: number;
  /** Bytes of log between two offset-index entries. */
  indexIntervalBytes: number;
  flush: FlushPolicy;
}

export const GIB = 1024 * 1024 * 1024;
export const DAY_MS = 24 * 60 * 60 * 1000;
/**
 * Segment positions are u32 in the offset index and one append may land in a segment of this
 * size, so segments stay below 2 GiB like Kafka's (segment.bytes is an int there).
 */
export const MAX_SEGMENT_BYTES = 2_147_483_647;

export function defaultLogConfig(): LogConfig {
  return {
    segmentBytes: GIB,
    segmentMs: 7 * DAY_MS,
    retentionBytes: -1,
    retentionMs: 7 * DAY_MS,
    indexIntervalBytes: 4096,
    flush: { kind: 'sync' },
  };
}

/** Throws StorageConfigError naming the first bad field; returns the config for chaining. */
export function validateLogConfig(config: LogConfig): LogConfig {
  const integerIn = (name: string, v: number, min: number, max: number) => {
    if (!Number.isSafeInteger(v) || v < min || v > max) {
      throw new StorageConfigError(`${name} must be an integer in ${min}..${max}, got ${v}`);
    }
  };
  const orUnlimited = (name: string, v: number) => {
    if (v !== -1 && (!Number.isSafeInteger(v) || v < 0)) {
      throw new StorageConfigError(`${name} must be -1 (unlimited) or a non-negative integer, got ${v}`);
    }
  };
  integerIn('segment bytes', config.segmentBytes, 1, MAX_SEGMENT_BYTES);
  integerIn('segment ms', config.segmentMs, 1, Number.MAX_SAFE_INTEGER);
  orUnlimited('retention bytes', config.retentionBytes);
  orUnlimited('retention ms', config.retentionMs);
  integerIn('index interval bytes', config.indexIntervalBytes, 0, MAX_SEGMENT_BYTES);
  validateFlushPolicy(config.flush);
  return config;
}

/** A topic's config: the broker's defaults with the topic's overrides on top, validated. */
export function mergeLogConfig(base: LogConfig, overrides: Partial<LogConfig> = {}): LogConfig {
  const known = new Set(Object.keys(base));
  for (const key of Object.keys(overrides)) {
    if (!known.has(key)) throw new StorageConfigError(`unknown log config ${JSON.stringify(key)}`);
  }
  const merged = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
  }
  return validateLogConfig(merged);
}
