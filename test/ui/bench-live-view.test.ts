import { render } from 'ink-testing-library';
import { createElement } from 'react';
import { describe, expect, it } from 'vitest';
import { BenchLiveView } from '../../src/ui/bench-live-view.js';
import { type BenchViewState, benchViewReducer, initialBenchView } from '../../src/ui/bench-view-state.js';
import { interval } from '../tools/bench/fixtures.js';

const strip = (s: string | undefined) => (s ?? '').replace(/\x1b\[[0-9;]*m/g, '');

function stateAfterTicks(): BenchViewState {
  let s = initialBenchView('mq', 100, 8);
  s = benchViewReducer(s, {
    type: 'start',
    info: { topics: ['t'], producers: 1, consumers: 1, warmupSec: 1, durationSec: 4, targetRate: 1000 },
  });
  s = benchViewReducer(s, { type: 'phase', phase: 'measure' });
  for (const [i, rate] of [100, 400, 800, 1000].entries()) {
    s = benchViewReducer(s, { type: 'tick', stats: interval(i, i === 0 ? 'warmup' : 'measure', rate, 4000) });
  }
  return s;
}

describe('live view', () => {
  it('keeps a throughput history, leaving out drain intervals', () => {
    const s = stateAfterTicks();
    expect(s.publishRates).toEqual([100, 400, 800, 1000]);
    const drained = benchViewReducer(s, { type: 'tick', stats: interval(4, 'drain', 0, 0) });
    expect(drained.publishRates).toEqual([100, 400, 800, 1000]);
    // The last measured figures stay; only the backlog and the clock follow the drain.
    expect(drained.latest).toMatchObject({ phase: 'measure', publishRate: 1000, backlog: 4, endSec: 5 });
    expect(benchViewReducer(s, { type: 'done' }).phase).toBe('done');
  });

  it('renders rates, backlog, sparkline and percentiles from a fixed state', () => {
    const { lastFrame, unmount } = render(createElement(BenchLiveView, { state: stateAfterTicks() }));
    const frame = strip(lastFrame());
    unmount();
    const lines = frame.split('\n').map((l) => l.trimEnd());
    expect(lines[0]).toBe(
      'mq bench · driver mq · 100 B · 1 topic × 8 partitions · 1 producer / 1 consumer · 1,000 msg/s',
    );
    expect(lines[1]).toBe('measure  4.0s / 5.0s');
    expect(frame).toMatch(/publish\s+1\.00k\s+0\.10\s+errors 0\/s/);
    expect(frame).toMatch(/consume\s+1\.00k\s+0\.10\s+backlog 3/);
    expect(frame).toMatch(/throughput\s+▂▄▇█/);
    expect(frame).toMatch(/latency ms\s+p50\s+p99\s+p99\.9\s+max/);
    expect(frame).toMatch(/publish\s+0\.80\s+1\.50\s+2\.00\s+2\.00/);
    expect(frame).toMatch(/publish delay\s+0\.020\s+0\.090\s+0\.12\s+0\.12/);
    expect(frame).toMatch(/end-to-end\s+1\.00\s+4\.00\s+4\.50\s+4\.50/);
  });

  it('renders a waiting state before the run starts', () => {
    const { lastFrame, unmount } = render(
      createElement(BenchLiveView, { state: initialBenchView('kafkajs', 512, 1) }),
    );
    const frame = strip(lastFrame());
    unmount();
    expect(frame).toContain('mq bench · driver kafkajs · 512 B');
    expect(frame).toContain('starting  connecting…');
    expect(frame).toMatch(/end-to-end\s+—\s+—\s+—\s+—/);
  });
});
