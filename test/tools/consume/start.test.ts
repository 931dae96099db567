import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/cli/units.js';
import { parseStartOffset, resolveStart } from '../../../src/tools/consume/start.js';

describe('mq consume --offset', () => {
  it('parses every form', () => {
    expect(parseStartOffset('beginning')).toEqual({ kind: 'earliest' });
    expect(parseStartOffset('earliest')).toEqual({ kind: 'earliest' });
    expect(parseStartOffset('end')).toEqual({ kind: 'latest' });
    expect(parseStartOffset('42')).toEqual({ kind: 'absolute', offset: 42 });
    expect(parseStartOffset('-10')).toEqual({ kind: 'fromEnd', count: 10 });
    expect(parseStartOffset('@1700000000000')).toEqual({ kind: 'time', timestamp: 1_700_000_000_000 });
    expect(parseStartOffset('@2024-05-01T12:00:00Z')).toEqual({
      kind: 'time',
      timestamp: Date.UTC(2024, 4, 1, 12),
    });
    for (const bad of ['soon', '1.5', '@', '@yesterday', '--3'])
      expect(() => parseStartOffset(bad)).toThrow(UsageError);
  });

  it('resolves to an offset inside the log', () => {
    const log = { logStart: 100, logEnd: 150 };
    expect(resolveStart({ kind: 'earliest' }, log)).toBe(100);
    expect(resolveStart({ kind: 'latest' }, log)).toBe(150);
    expect(resolveStart({ kind: 'absolute', offset: 120 }, log)).toBe(120);
    expect(resolveStart({ kind: 'absolute', offset: 7 }, log)).toBe(100);
    expect(resolveStart({ kind: 'absolute', offset: 900 }, log)).toBe(150);
    expect(resolveStart({ kind: 'fromEnd', count: 10 }, log)).toBe(140);
    expect(resolveStart({ kind: 'fromEnd', count: 80 }, log)).toBe(100);
    expect(resolveStart({ kind: 'time', timestamp: 1 }, { ...log, atTime: 130 })).toBe(130);
    // Every message is older than the time: start at the end.
    expect(resolveStart({ kind: 'time', timestamp: 1 }, { ...log, atTime: -1 })).toBe(150);
  });
});
