import { beforeAll, describe, expect, it } from 'vitest';
import { initHistograms } from '../../src/metrics/histogram.js';
import { renderHtmlReport, spectrumX } from '../../src/ui/html-report.js';
import { sampleResult } from '../tools/bench/fixtures.js';

beforeAll(async () => {
  await initHistograms();
});

describe('HTML report', () => {
  it('is self-contained: inline SVG charts, no scripts, no network references', () => {
    const r = sampleResult();
    r.warnings = ['<script>alert(1)</script>'];
    const html = renderHtmlReport([r, sampleResult({ rate: 2000, driver: 'kafkajs' })], ['mq', 'kafka<js>']);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script|<link|src=/i);
    expect(html.match(/<svg class="chart"/g)?.length).toBe(3);
    expect(html).toContain('Throughput over time');
    expect(html).toContain('Latency by percentile (log axis)');
    expect(html).toContain('99.999%');
    expect(html).toContain('kafka&lt;js&gt;');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toMatch(/<path d="M[\d.]+,[\d.]+L/);
  });

  it('places percentiles on a log axis of 1 / (1 − p)', () => {
    expect(spectrumX(90)).toBeCloseTo(1);
    expect(spectrumX(99)).toBeCloseTo(2);
    expect(spectrumX(99.9)).toBeCloseTo(3);
  });
});
