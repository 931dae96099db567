/**
 * verify-loss output: the report text, the plain progress lines and the live view, each from
 * fixed inputs (no runner, no sleeps).
 */
import { render } from 'ink-testing-library';
import { createElement } from 'react';
import { describe, expect, it } from 'vitest';
import { LossChecker } from '../../../src/tools/verify/checker/checker.js';
import type { VerifyTick } from '../../../src/tools/verify/runner.js';
import { VerifyLiveView } from '../../../src/ui/verify/live-view.js';
import { startLine, tickLine } from '../../../src/ui/verify/progress-lines.js';
import { exampleLine, reportSummary } from '../../../src/ui/verify/report-text.js';
import { initialVerifyView, verifyViewReducer } from '../../../src/ui/verify/view-state.js';
import { HistoryBuilder } from '../../tools/verify/history-builder.js';

const strip = (s: string | undefined) => (s ?? '').replace(/\x1b\[[0-9;]*m/g, '');

function lossyReport() {
  const h = new HistoryBuilder({ expect: 'at-least-once', partitions: 1 });
  h.produce(0, 0, 64, 0);
  h.fault('broker-kill');
  h.send(0, 64, 3, 0).ok(0, 64, 3, 0, 64); // lost
  h.produce(0, 67, 2, 0);
  h.read('c0', 0, h.records(0));
  const c = new LossChecker();
  for (const e of h.drain([0]).end()) c.add(e);
  return c.finish();
}

const tick: VerifyTick = {
  elapsedMs: 2500,
  phase: 'produce',
  sent: 1500,
  acked: 1490,
  failed: 0,
  indeterminate: 3,
  consumed: 1400,
  anomalies: 2,
  faults: 1,
};

describe('verify-loss output', () => {
  it('the report: verdict, counts, findings marked by whether they count, examples with faults', () => {
    const text = reportSummary(lossyReport(), 'run.jsonl');
    const lines = text.split('\n');
    expect(lines[0]).toBe('ANOMALIES under at-least-once: lost 3');
    expect(text).toContain('sent 69 · acknowledged 69 · failed 0 · indeterminate 0 (recovered 0)');
    expect(text).toContain('final read: reached the end of every partition');
    expect(text).toContain('faults: broker-kill ×1');
    expect(text).toMatch(/✗ {2}lost \(acknowledged, not in the log\) +3/);
    expect(text).toContain('lost: 3 certain, 0 unseen');
    expect(text).toContain(
      'producer 0, partition 0: seqs 64..66: acknowledged, not in the log at 0.0s — nearest fault: broker-kill 2 ms before',
    );
    expect(lines.at(-1)).toBe('history: run.jsonl');
  });

  it('says which partitions the final read did not finish', () => {
    const h = new HistoryBuilder({ partitions: 3 });
    h.produce(0, 0, 4, 0).produce(0, 4, 4, 1);
    const c = new LossChecker();
    for (const e of h.drain([0, 1], new Map([[1, 2]])).end()) c.add(e);
    expect(reportSummary(c.finish())).toContain(
      'final read: did NOT reach every partition end (1: 2 of 4, 2: not read)',
    );
  });

  it('a valid report says so', () => {
    const h = new HistoryBuilder();
    h.produce(0, 0, 3, 0);
    const c = new LossChecker();
    for (const e of h.drain([0]).end()) c.add(e);
    expect(reportSummary(c.finish()).split('\n')[0]).toBe('VALID under at-least-once: no anomalies');
    expect(exampleLine({ consumer: 'c1', partition: 2, offset: 5, detail: 'x' })).toBe(
      'partition 2, consumer c1: x',
    );
  });

  it('plain lines', () => {
    expect(
      startLine({
        topic: 't',
        partitions: 4,
        producers: 2,
        consumers: 1,
        messages: 10000,
        faults: ['broker-kill', 'broker-kill'],
      }),
    ).toBe(
      'verify-loss: 10,000 messages, 2 producer(s), 1 consumer(s), 4 partitions on t, faults: broker-kill',
    );
    expect(tickLine(tick)).toBe(
      '   2.5s produce  sent 1,500  acked 1,490  failed 0  indeterminate 3  consumed 1,400  anomalies 2  faults 1',
    );
  });

  it('the live view renders the reducer state', () => {
    let s = verifyViewReducer(initialVerifyView, {
      type: 'start',
      info: {
        topic: 't',
        partitions: 4,
        producers: 2,
        consumers: 1,
        messages: 3000,
        faults: ['broker-kill'],
      },
    });
    s = verifyViewReducer(s, { type: 'tick', tick });
    s = verifyViewReducer(s, { type: 'log', line: 'fault broker-kill failed: x' });
    const { lastFrame, unmount } = render(createElement(VerifyLiveView, { state: s }));
    const lines = strip(lastFrame())
      .split('\n')
      .map((l) => l.trimEnd());
    unmount();
    expect(lines[0]).toBe('mq verify-loss · 3,000 messages · 2 producer / 1 consumer · 4 partitions');
    expect(lines[1]).toBe('produce  2.5s  · faults 1 (broker-kill)');
    expect(lines[3]).toBe(`sent          ${'█'.repeat(15)}${'░'.repeat(15)}       1,500`);
    expect(lines[5]).toMatch(/^consumed {6}█{14}░{16} {7}1,400$/);
    expect(lines[6]).toBe('failed 0 · indeterminate 3 · anomalies so far 2');
    expect(lines[7]).toBe('fault broker-kill failed: x');
  });
});
