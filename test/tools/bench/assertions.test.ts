import { beforeAll, describe, expect, it } from 'vitest';
import { initHistograms } from '../../../src/metrics/histogram.js';
import {
  AssertionSyntaxError,
  evaluateThresholds,
  parseThreshold,
} from '../../../src/tools/bench/assertions.js';
import { sampleResult } from './fixtures.js';

beforeAll(async () => {
  await initHistograms();
});

describe('--assert thresholds', () => {
  it('parses metric, operator, number and unit into the metric unit', () => {
    expect(parseThreshold('e2e.p99<10ms')).toMatchObject({
      metric: 'e2e.p99',
      op: '<',
      value: 10,
      unit: 'ms',
    });
    expect(parseThreshold('publish.p99.9 <= 1500us')).toMatchObject({
      metric: 'publish.p99.9',
      op: '<=',
      value: 1.5,
    });
    expect(parseThreshold('endToEnd.max<2s').value).toBe(2000);
    expect(parseThreshold('publish.rate>100k')).toMatchObject({ op: '>', value: 100_000, unit: 'msg/s' });
    expect(parseThreshold('publish.errors==0')).toMatchObject({ op: '==', value: 0 });
    expect(parseThreshold('publishDelay.p99<5').value).toBe(5);
  });

  it('refuses what it cannot check, saying what would work', () => {
    expect(() => parseThreshold('e2e.p99 ~ 10ms')).toThrow(AssertionSyntaxError);
    expect(() => parseThreshold('latency.p99<10ms')).toThrow(
      /unknown metric "latency\.p99" \(try: publish\.rate/,
    );
    expect(() => parseThreshold('e2e.p42<10ms')).toThrow(/unknown metric/);
    expect(() => parseThreshold('publish.rate>10ms')).toThrow(/unit "ms" does not fit publish\.rate/);
    expect(() => parseThreshold('e2e.p99<10k')).toThrow(
      /unit "k" does not fit e2e\.p99 \(ms; use us, µs, ms, s\)/,
    );
  });

  it('evaluates against a result: ✓ and ✗ with the actual value', () => {
    const r = sampleResult({ e2eMaxMs: 10 });
    const out = evaluateThresholds(
      r,
      [
        'e2e.p99<20ms',
        'e2e.p99<5ms',
        'publish.rate>=1000',
        'publish.rate>1000',
        'consume.rate>500',
        'publish.errors==0',
        'totals.received>=4000',
      ].map(parseThreshold),
    );
    expect(out.map((o) => o.ok)).toEqual([true, false, true, false, true, true, true]);
    expect(out[0].actual).toBeGreaterThan(9.8);
    expect(out[0].actual).toBeLessThan(10.02);
    expect(out[2]).toMatchObject({ actual: 1000, unit: 'msg/s' });
  });
});
