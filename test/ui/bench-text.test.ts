import { beforeAll, describe, expect, it } from 'vitest';
import { initHistograms } from '../../src/metrics/histogram.js';
import { evaluateThresholds, parseThreshold } from '../../src/tools/bench/assertions.js';
import { intervalLine, startLine, stepLine } from '../../src/ui/bench-lines.js';
import { summaryTable } from '../../src/ui/bench-summary.js';
import { compareTable } from '../../src/ui/compare-table.js';
import { sparkline } from '../../src/ui/sparkline.js';
import { interval, sampleResult } from '../tools/bench/fixtures.js';

beforeAll(async () => {
  await initHistograms();
});

describe('plain lines (no TTY)', () => {
  it('prints the run shape once', () => {
    expect(
      startLine(
        { topics: ['t'], producers: 1, consumers: 2, warmupSec: 2, durationSec: 30, targetRate: 50_000 },
        { driver: 'mq', messageSize: 100, partitions: 8 },
      ),
    ).toBe(
      'mq bench (mq): 1 topic × 8 partitions, 1 producer, 2 consumers, 100 B messages, 50,000 msg/s, warm-up 2.0s, duration 30.0s',
    );
  });

  it('prints one line per interval with rates, backlog and percentiles in ms', () => {
    expect(intervalLine(interval(2, 'measure', 52_345, 4000))).toBe(
      '  3.0s measure | pub 52.3k msg/s 4.99 MB/s err 0/s | cons 52.3k msg/s | backlog 2 | ' +
        'pub p50 0.80 p99 1.50 p99.9 2.00 max 2.00 ms | delay p99 0.090 ms | e2e p50 1.00 p99 4.00 p99.9 4.50 max 4.50 ms',
    );
    const unthrottled = {
      ...interval(0, 'warmup', 10, 0),
      targetRate: null,
      endToEnd: { ...interval(0, 'warmup', 10, 0).endToEnd, count: 0 },
    };
    expect(intervalLine(unthrottled)).not.toMatch(/delay|e2e/);
  });

  it('prints a rate-search step with its verdict', () => {
    expect(
      stepLine({
        rate: 40_000,
        achievedRate: 31_000,
        backlogGrowth: 5000,
        publishDelayP99Ms: 120,
        sustainable: false,
        reason: 'published 31000 msg/s',
      }),
    ).toBe(
      'search: 40,000 msg/s not sustainable (published 31000 msg/s); published 31,000 msg/s, backlog +5,000, delay p99 120.00 ms',
    );
  });

  it('draws a sparkline scaled to the maximum', () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7])).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([0, 0])).toBe('▁▁');
    expect(sparkline([1, 2, 3], 2)).toBe('▆█');
  });
});

describe('summary and comparison tables', () => {
  it('summarises rates, latencies, totals and assertion verdicts', () => {
    const r = sampleResult({ e2eMaxMs: 10 });
    r.assertions = evaluateThresholds(r, [
      parseThreshold('e2e.p99<20ms'),
      parseThreshold('publish.rate>2000'),
    ]);
    r.warnings = ['something to know'];
    const text = summaryTable(r);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^mq bench summary: .* \(driver mq, 3\.0s measured\)$/);
    expect(lines[1]).toMatch(/msg\/s\s+MB\/s\s+avg\s+p50\s+p99\s+p99\.9\s+p99\.99\s+max ms/);
    expect(text).toMatch(/publish\s+1,000\s+0\.10\s+1\.50\s+1\.49\s+1\.98/);
    expect(text).toMatch(/end-to-end\s+—\s+—\s+5\.50\s+5\.46\s+9\.91/);
    expect(text).toContain('totals: sent 4,000, acked 4,000, received 4,000, errors 0, final backlog 4');
    expect(text).toContain('warning: something to know');
    expect(text).toMatch(/✓ e2e\.p99<20ms \(actual 9\.\d+ ms\)/);
    expect(text).toContain('✗ publish.rate>2000 (actual 1,000 msg/s)');
  });

  it('lines results up side by side with ratios to the first', () => {
    const text = compareTable(
      [sampleResult(), sampleResult({ rate: 2000, driver: 'kafkajs' })],
      ['mq', 'kafkajs'],
    );
    expect(text.split('\n')[0]).toMatch(/^\s+mq\s+kafkajs$/);
    expect(text).toMatch(/driver\s+mq\s+kafkajs/);
    expect(text).toMatch(/publish msg\/s\s+1,000\s+2,000 \(×2\.00\)/);
    expect(text).not.toContain('max sustainable');
  });
});

describe('output mode', () => {
  it('uses the live view only on a terminal that reports its width', async () => {
    const { chooseOutputMode } = await import('../../src/ui/bench-output.js');
    expect(chooseOutputMode(false, { isTTY: true, columns: 120 })).toBe('live');
    expect(chooseOutputMode(false, { isTTY: true, columns: 0 })).toBe('lines');
    expect(chooseOutputMode(false, { isTTY: false })).toBe('lines');
    expect(chooseOutputMode(true, { isTTY: true, columns: 120 })).toBe('json');
  });
});
