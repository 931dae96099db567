import { describe, expect, it } from 'vitest';
import { StorageConfigError } from '../../src/storage/errors.js';
import { formatFlushPolicy, parseFlushPolicy } from '../../src/storage/flush-policy.js';

describe('flush policy', () => {
  it('parses the three policies and formats them back', () => {
    expect(parseFlushPolicy('sync')).toEqual({ kind: 'sync' });
    expect(parseFlushPolicy('os')).toEqual({ kind: 'os' });
    expect(parseFlushPolicy('async:2000')).toEqual({ kind: 'async', intervalMs: 2000 });
    for (const text of ['sync', 'os', 'async:1', 'async:2000'])
      expect(formatFlushPolicy(parseFlushPolicy(text))).toBe(text);
  });

  it('rejects anything else with a message that lists the choices', () => {
    for (const bad of [
      '',
      'SYNC',
      'async',
      'async:',
      'async:0',
      'async:-5',
      'async:1.5',
      'async:2s',
      'fsync',
      'async:9999999999',
    ]) {
      expect(() => parseFlushPolicy(bad), bad).toThrow(StorageConfigError);
    }
    expect(() => parseFlushPolicy('fsync')).toThrow(/sync, os or async:<ms>/);
  });
});
