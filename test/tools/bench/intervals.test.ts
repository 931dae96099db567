import { beforeAll, describe, expect, it } from 'vitest';
import {
  encodeHistogram,
  initHistograms,
  recordMicros,
  summarize,
  withHistogram,
} from '../../../src/metrics/histogram.js';
import { IntervalAccumulator } from '../../../src/tools/bench/intervals.js';
import type { ConsumerReport, ProducerReport } from '../../../src/tools/bench/messages.js';
import { SplitRecorder } from '../../../src/tools/bench/split-recorder.js';

beforeAll(async () => {
  await initHistograms();
});

const enc = (...values: number[]) =>
  withHistogram((h) => {
    for (const v of values) recordMicros(h, v);
    return encodeHistogram(h);
  });
const none = { warmup: '', measured: '' };
const producer = (
  sent: number,
  acked: number,
  lat: { warmup: string; measured: string },
): ProducerReport => ({
  kind: 'producer',
  sent,
  acked,
  errors: 0,
  bytes: acked * 100,
  publishLatency: lat,
  publishDelay: none,
});
const consumer = (received: number, e2e: { warmup: string; measured: string }): ConsumerReport => ({
  kind: 'consumer',
  received,
  bytes: received * 100,
  unstamped: 0,
  endToEnd: e2e,
});

describe('SplitRecorder', () => {
  it('puts a latency in warm-up or measured by the message intended send time', () => {
    const r = new SplitRecorder();
    r.measureFromMicros = 1000;
    r.record(999, 50); // intended before the measurement start, even if acked after it
    r.record(1000, 70);
    r.record(1500, 90);
    const { warmup, measured } = r.take();
    expect(warmup).toBe(enc(50));
    expect(measured).toBe(enc(70, 90));
    expect(r.take()).toEqual(none);
    r.destroy();
  });
});

describe('IntervalAccumulator', () => {
  it('derives interval counts and rates from cumulative counters', () => {
    const acc = new IntervalAccumulator(1);
    const a = acc.add([producer(100, 90, none), consumer(80, none)], {
      phase: 'measure',
      startSec: 0,
      endSec: 0.5,
      targetRate: 200,
    });
    expect(a).toMatchObject({
      publishRate: 180,
      consumeRate: 160,
      backlog: 10,
      publishMBps: (9000 / 1048576) * 2,
    });
    const b = acc.add([producer(200, 190, none), consumer(190, none)], {
      phase: 'measure',
      startSec: 0.5,
      endSec: 1.5,
      targetRate: 200,
    });
    expect(b).toMatchObject({ index: 1, publishRate: 100, consumeRate: 110, backlog: 0 });
    expect(acc.totals).toMatchObject({ sent: 200, acked: 190, received: 190 });
    acc.destroy();
  });

  it('counts the backlog once per subscription', () => {
    const acc = new IntervalAccumulator(2);
    const s = acc.add([producer(10, 10, none), consumer(10, none), consumer(4, none)], {
      phase: 'measure',
      startSec: 0,
      endSec: 1,
      targetRate: null,
    });
    expect(s.backlog).toBe(6);
    acc.destroy();
  });

  it('excludes warm-up messages from measurement intervals and from the aggregate', () => {
    const acc = new IntervalAccumulator(1);
    const w = acc.add([producer(2, 2, { warmup: enc(1500, 1600), measured: '' }), consumer(0, none)], {
      phase: 'warmup',
      startSec: 0,
      endSec: 1,
      targetRate: 10,
    });
    expect(w.publishLatency).toMatchObject({ count: 2, max: 1600 });
    // A straggler intended during warm-up but acknowledged now stays out of the measurement.
    const m = acc.add([producer(4, 4, { warmup: enc(1900), measured: enc(100, 300) }), consumer(0, none)], {
      phase: 'measure',
      startSec: 1,
      endSec: 2,
      targetRate: 10,
    });
    expect(m.publishLatency).toMatchObject({ count: 2, avg: 200, max: 300 });
    expect(summarize(acc.aggregate.publishLatency)).toMatchObject({ count: 2, max: 300 });
    acc.destroy();
  });
});
