import { HistogramLogReader } from 'hdr-histogram-js';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeHistogram, initHistograms, recordMicros, withHistogram } from '../../src/metrics/histogram.js';
import { histogramLog } from '../../src/metrics/histogram-log.js';

beforeAll(async () => {
  await initHistograms();
});

describe('HdrHistogram interval logs', () => {
  it('writes one line per non-empty interval that HdrHistogram readers decode back', () => {
    const enc = (vals: number[]) =>
      withHistogram((h) => {
        for (const v of vals) recordMicros(h, v);
        return encodeHistogram(h);
      });
    const text = histogramLog(
      [
        { startSec: 0, endSec: 1, encoded: enc([100, 200]) },
        { startSec: 1, endSec: 2, encoded: '' },
        { startSec: 2, endSec: 3, encoded: enc([300, 400, 500]) },
      ],
      1_700_000_000_000,
      'test log',
    );
    expect(text).toContain('#test log');
    expect(text).toContain('#[StartTime: 1700000000');
    const reader = new HistogramLogReader(text);
    const counts: number[] = [];
    for (let h = reader.nextIntervalHistogram(); h !== null; h = reader.nextIntervalHistogram()) {
      counts.push(h.totalCount);
      h.destroy();
    }
    expect(counts).toEqual([2, 3]);
  });
});
