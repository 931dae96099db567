/**
 * The drain's report collector: workers send cumulative histograms, so a report that is lost or
 * arrives late costs nothing, and each interval holds only what is new since the previous one.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createLatencyHistogram,
  encodeHistogram,
  initHistograms,
  recordMicrosWithCount,
} from '../../../src/metrics/histogram.js';
import { ReportCollector } from '../../../src/tools/drain/collector.js';
import type { DrainWorkerReport } from '../../../src/tools/drain/messages.js';

beforeAll(async () => {
  await initHistograms();
});

/** A consumer's report after handling `n` messages, each 1 ms in queue (cumulative). */
function reportAfter(n: number): DrainWorkerReport {
  const h = createLatencyHistogram();
  if (n > 0) recordMicrosWithCount(h, 1000, n);
  const encoded = encodeHistogram(h);
  h.destroy();
  return {
    role: 'consumer',
    atMicros: n,
    processed: n,
    bytes: n * 100,
    failed: 0,
    retried: 0,
    deadLettered: 0,
    commits: 0,
    timeInQueue: encoded,
    processing: encoded,
    positions: {},
    firstAtMicros: n > 0 ? 1 : 0,
    lastAtMicros: n,
  };
}

describe('ReportCollector', () => {
  it('counts each message once across intervals, also when an intermediate report never arrives', () => {
    const c = new ReportCollector();
    const one = (n: number) => new Map([['consumer-1', reportAfter(n)]]);
    expect(c.add(one(100), 'consumer').timeInQueue.count).toBe(100);
    expect(c.add(one(250), 'consumer').timeInQueue.count).toBe(150);
    // The report at 400 was lost on its way; the next one still carries those 150.
    const last = c.add(one(600), 'consumer');
    expect(last.timeInQueue.count).toBe(350);
    expect(last.totals.processed).toBe(600);
    expect(c.timeInQueue.totalCount).toBe(600);
    expect(c.processing.totalCount).toBe(600);
    c.destroy();
  });

  it('adds nothing for a report older than one already folded in, or for the same one twice', () => {
    const c = new ReportCollector();
    c.add(new Map([['consumer-1', reportAfter(500)]]), 'consumer');
    const stale = c.add(new Map([['consumer-1', reportAfter(300)]]), 'consumer');
    expect(stale.timeInQueue.count).toBe(0);
    expect(stale.totals.processed).toBe(500);
    expect(c.add(new Map([['consumer-1', reportAfter(500)]]), 'consumer').timeInQueue.count).toBe(0);
    c.add(new Map([['consumer-2', reportAfter(70)]]), 'consumer');
    expect(c.timeInQueue.totalCount).toBe(570);
    c.destroy();
  });
});
