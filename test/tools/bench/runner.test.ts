/**
 * The runner with producers and consumers inline (same thread) on the in-process driver: the
 * orchestration, counts, phases and the result document, without a broker or worker threads.
 * The end-to-end test with threads and a real broker is test/commands/bench.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DriverCapabilityError } from '../../../src/drivers/index.js';
import { initHistograms } from '../../../src/metrics/histogram.js';
import { evaluateThresholds, parseThreshold } from '../../../src/tools/bench/assertions.js';
import { type BenchFlagValues, workloadFromFlags } from '../../../src/tools/bench/cli-options.js';
import { BenchResultSchema, buildResult } from '../../../src/tools/bench/result.js';
import { BenchRunner } from '../../../src/tools/bench/runner.js';
import { resolveWorkload } from '../../../src/tools/bench/workload.js';

beforeAll(async () => {
  await initHistograms();
});

let store = 0;
async function bench(flags: BenchFlagValues, extra: { searchStepMs?: number } = {}) {
  const workload = resolveWorkload({ flags: workloadFromFlags(flags) });
  const runner = new BenchRunner({
    workload,
    driver: 'memory',
    brokers: `runner-test-${store++}`,
    threads: 'inline',
    intervalMs: 200,
    ...extra,
  });
  const events: string[] = [];
  runner.on('start', () => events.push('start'));
  runner.on('phase', (p) => events.push(`phase:${p}`));
  runner.on('done', () => events.push('done'));
  const result = await runner.run();
  return {
    run: result,
    events,
    doc: buildResult(result, {
      workload,
      driver: 'memory',
      brokers: 'memory',
      embeddedFlush: null,
      intervalMs: 200,
      version: '0.0.0',
    }),
  };
}

describe('BenchRunner (inline, memory driver)', () => {
  it('runs warm-up then measurement at a fixed rate; sent = acked = received', async () => {
    const { run, events, doc } = await bench({
      partitions: 4,
      producers: 2,
      rate: '1000',
      duration: '1s',
      warmup: '400ms',
    });
    expect(run.totals.sent).toBeGreaterThan(0);
    expect(run.totals.acked).toBe(run.totals.sent);
    expect(run.totals.received).toBe(run.totals.acked);
    expect(run.totals.errors).toBe(0);
    expect(events).toEqual(['start', 'phase:warmup', 'phase:measure', 'phase:drain', 'done']);
    const phases = run.intervals.map((i) => i.phase);
    expect(phases.indexOf('measure')).toBeGreaterThan(phases.lastIndexOf('warmup'));
    // The warm-up boundary is an interval boundary: no interval straddles it.
    const firstMeasure = run.intervals.find((i) => i.phase === 'measure')!;
    expect(firstMeasure.startSec).toBeGreaterThanOrEqual(0.4 - 1e-3);
    expect(run.measured.acked).toBeGreaterThan(0);
    expect(run.measured.acked).toBeLessThan(run.totals.acked);
    expect(run.warnings.filter((w) => !w.includes('fell behind'))).toEqual([]);
    // The document is what --json prints: it must satisfy its own schema.
    expect(BenchResultSchema.safeParse(JSON.parse(JSON.stringify(doc))).error).toBeUndefined();
    expect(doc.publishRate.length).toBe(run.intervals.filter((i) => i.phase === 'measure').length);
    expect(doc.summary.endToEnd?.count).toBeGreaterThan(0);
    expect(doc.summary.publishDelay).not.toBeNull();
    expect(Object.keys(doc.aggregatedEndToEndLatencyQuantiles)).toContain('99.9');
    expect(doc.environment.sameHost).toBe(true);
  });

  it('produce-only and keyed: no consumers, no end-to-end, backlog 0', async () => {
    const { run, doc } = await bench({
      subscriptions: 0,
      rate: 'max',
      duration: '400ms',
      warmup: '0s',
      'key-distributor': 'KEY_ROUND_ROBIN',
      partitions: 3,
    });
    expect(run.totals.acked).toBe(run.totals.sent);
    expect(run.totals.received).toBe(0);
    expect(doc.summary.consume).toBeNull();
    expect(doc.summary.endToEnd).toBeNull();
    expect(doc.summary.publishDelay).toBeNull();
    expect(doc.backlog.every((b) => b === 0)).toBe(true);
    expect(BenchResultSchema.safeParse(JSON.parse(JSON.stringify(doc))).success).toBe(true);
    expect(evaluateThresholds(doc, [parseThreshold('e2e.p99<10ms')])).toEqual([
      { expression: 'e2e.p99<10ms', actual: null, unit: 'ms', ok: false },
    ]);
  });

  it('searches for the maximum sustainable rate in steps', async () => {
    const { doc } = await bench(
      { rate: 'search', 'start-rate': '200', duration: '2s', warmup: '0s' },
      { searchStepMs: 600 },
    );
    expect(doc.config.rateMode).toBe('search');
    expect(doc.rateSearch?.steps.length).toBeGreaterThanOrEqual(2);
    expect(doc.rateSearch?.steps[0].rate).toBe(200);
    expect(doc.rateSearch?.steps[1].rate).toBe(doc.rateSearch?.steps[0].sustainable ? 400 : 100);
    expect(BenchResultSchema.safeParse(JSON.parse(JSON.stringify(doc))).success).toBe(true);
  });

  it('stop() ends the measurement early and still drains and reports', async () => {
    const workload = resolveWorkload({
      flags: workloadFromFlags({ rate: '500', duration: '10m', warmup: '0s' }),
    });
    const runner = new BenchRunner({
      workload,
      driver: 'memory',
      brokers: 'runner-stop',
      threads: 'inline',
      intervalMs: 200,
    });
    runner.on('tick', (t) => {
      if (t.phase === 'measure' && t.index >= 1) runner.stop();
    });
    const run = await runner.run();
    expect(run.intervals.filter((i) => i.phase === 'measure')).toHaveLength(2);
    expect(run.totals.received).toBe(run.totals.acked);
    expect(run.measured.seconds).toBeLessThan(60);
  });

  it('refuses, before starting, what the driver cannot do', async () => {
    await expect(bench({ consumers: 2, duration: '1s' })).rejects.toThrow(DriverCapabilityError);
    await expect(bench({ compression: 'gzip', duration: '1s' })).rejects.toThrow(
      /needs compression gzip \(it has: none\), which driver "memory" does not support/,
    );
  });
});
