import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/cli/units.js';
import { describeFault, parseFaultSpec } from '../../../src/tools/verify/faults.js';

describe('fault specs', () => {
  it('once, repeating, counted, with options', () => {
    expect(parseFaultSpec('broker-kill')).toEqual({
      kind: 'broker-kill',
      everyMs: null,
      count: 1,
      afterMs: 1000,
      forMs: 0,
    });
    expect(parseFaultSpec('broker-kill:2s')).toMatchObject({ everyMs: 2000, count: Infinity, afterMs: 2000 });
    expect(parseFaultSpec('broker-kill,every=500ms,count=20,after=1s')).toMatchObject({
      everyMs: 500,
      count: 20,
      afterMs: 1000,
    });
    expect(parseFaultSpec('broker-pause:3s,for=250ms')).toMatchObject({ forMs: 250 });
    expect(parseFaultSpec('broker-pause').forMs).toBe(1000);
    expect(describeFault(parseFaultSpec('consumer-crash:2s,count=3'))).toBe(
      'consumer-crash every 2000 ms from 2000 ms, 3×',
    );
  });

  it('refuses what it does not know, saying what it accepts', () => {
    expect(() => parseFaultSpec('disk-full')).toThrow(/unknown fault "disk-full" \(one of: broker-kill/);
    expect(() => parseFaultSpec('broker-kill,times=3')).toThrow(/every=DUR, count=N/);
    expect(() => parseFaultSpec('broker-kill,count=0')).toThrow(/count must be ≥ 1/);
    expect(() => parseFaultSpec('broker-kill:soon')).toThrow(UsageError);
  });
});
