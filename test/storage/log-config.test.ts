import { describe, expect, it } from 'vitest';
import { StorageConfigError } from '../../src/storage/errors.js';
import { defaultLogConfig, mergeLogConfig, validateLogConfig } from '../../src/storage/log-config.js';

describe('log config', () => {
  it('defaults to Kafka-like values and sync flush', () => {
    const c = defaultLogConfig();
    expect(c).toEqual({
      segmentBytes: 1024 ** 3,
      segmentMs: 7 * 24 * 3600 * 1000,
      retentionBytes: -1,
      retentionMs: 7 * 24 * 3600 * 1000,
      indexIntervalBytes: 4096,
      flush: { kind: 'sync' },
    });
    expect(validateLogConfig(c)).toBe(c);
  });

  it('rejects bad values naming the field', () => {
    const bad = [
      { segmentBytes: 0 },
      { segmentBytes: 2 ** 31 },
      { segmentMs: 0 },
      { retentionBytes: -2 },
      { retentionMs: 1.5 },
      { indexIntervalBytes: -1 },
      { flush: { kind: 'async' as const, intervalMs: 0 } },
    ];
    for (const b of bad)
      expect(() => validateLogConfig({ ...defaultLogConfig(), ...b }), JSON.stringify(b)).toThrow(
        StorageConfigError,
      );
    expect(() => validateLogConfig({ ...defaultLogConfig(), segmentBytes: 0 })).toThrow(/segment bytes/);
  });

  it('merges overrides, refusing unknown keys', () => {
    const merged = mergeLogConfig(defaultLogConfig(), { retentionMs: 1000, segmentBytes: undefined });
    expect(merged.retentionMs).toBe(1000);
    expect(merged.segmentBytes).toBe(1024 ** 3);
    expect(() => mergeLogConfig(defaultLogConfig(), { nope: 1 } as never)).toThrow(/unknown log config/);
  });
});
