/**
 * The per-batch processing of a drain consumer, in this thread: handler retries and dead letters,
 * failures without a DLQ, batch handlers, stopping mid-batch, fanned-out origins, and what it
 * measures. Handlers are the fixture modules, loaded as a worker loads them.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { IncomingBatch, IncomingMessage, OutgoingMessage } from '../../../src/drivers/driver.js';
import { initHistograms } from '../../../src/metrics/histogram.js';
import { HandlerLoadError, type LoadedHandler, loadHandler } from '../../../src/tools/drain/handler.js';
import { encodeOrigin, ORIGIN_HEADER } from '../../../src/tools/drain/origin.js';
import {
  BatchProcessor,
  DrainStopped,
  type ProcessingSpec,
  type ProcessorOptions,
} from '../../../src/tools/drain/processor.js';
import { encodeStamp, STAMP_HEADER } from '../../../src/tools/stamp.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
let flaky: LoadedHandler;
let perBatch: LoadedHandler;

beforeAll(async () => {
  await initHistograms();
  flaky = await loadHandler(path.join(fixtures, 'flaky-handler.mjs'));
  perBatch = await loadHandler(path.join(fixtures, 'batch-handler.mjs'));
});

function batch(partition: number, from: number, n: number, timestamp = Date.now() - 1000): IncomingBatch {
  const messages: IncomingMessage[] = Array.from({ length: n }, (_, i) => ({
    offset: from + i,
    timestamp,
    key: null,
    value: Buffer.alloc(10),
    headers: [
      { key: STAMP_HEADER, value: encodeStamp({ producerId: 9, sequence: from + i, intendedMicros: 0 }) },
    ],
  }));
  return { topic: 't', partition, messages, highWatermark: from + n };
}

class Sink {
  sent: OutgoingMessage[] = [];
  fail: Error | null = null;
  async send(topic: string, ms: readonly OutgoingMessage[]) {
    expect(topic).toBe('t.dlq');
    if (this.fail) throw this.fail;
    this.sent.push(...ms);
  }
}

function processor(over: Omit<Partial<ProcessorOptions>, 'spec'> & { spec?: Partial<ProcessingSpec> } = {}) {
  const spec: ProcessingSpec = {
    workMicros: 0,
    handlerFile: null,
    maxRetries: 2,
    retryBackoffMs: 0,
    dlqTopic: 't.dlq',
    ...over.spec,
  };
  return new BatchProcessor({
    handler: null,
    bucket: null,
    dlq: null,
    worker: 1,
    fannedOut: false,
    sourceTopic: 't',
    isStopping: () => false,
    ...over,
    spec,
  });
}

const header = (m: OutgoingMessage, k: string) => String(m.headers?.[k]);

describe('BatchProcessor', () => {
  it('without a handler: processes every message, records time in queue and the offsets handled', async () => {
    const p = processor();
    await p.process(batch(0, 0, 100));
    await p.process(batch(0, 100, 50));
    await p.process(batch(3, 7, 5));
    expect(p.processed).toBe(155);
    expect(p.bytes).toBe(1550);
    expect(p.runs.toJSON()).toEqual({ 0: [[0, 150]], 3: [[7, 12]] });
    expect(p.timeInQueue.totalCount).toBe(155);
    // The records are a second old: time in queue ≥ 1 s.
    expect(p.timeInQueue.minNonZeroValue).toBeGreaterThanOrEqual(999_000);
    expect(p.processing.totalCount).toBe(155);
    p.destroy();
  });

  it('retries failing messages, then dead-letters them with where they came from and why', async () => {
    const sink = new Sink();
    const p = processor({ handler: flaky, dlq: sink });
    await p.process(batch(2, 0, 2100));
    // Poison: offsets 7, 1007, 2007 (3 × 3 attempts); transient: 21 offsets ≡ 3 (mod 100), retried once.
    expect(p.deadLettered).toBe(3);
    expect(p.processed).toBe(2097);
    expect(p.retried).toBe(3 * 2 + 21);
    expect(p.failed).toBe(0);
    expect(sink.sent.map((m) => header(m, 'mq-dlq-offset'))).toEqual(['7', '1007', '2007']);
    const dead = sink.sent[0];
    expect(header(dead, 'mq-dlq-topic')).toBe('t');
    expect(header(dead, 'mq-dlq-partition')).toBe('2');
    expect(header(dead, 'mq-dlq-attempts')).toBe('3');
    expect(header(dead, 'mq-dlq-error')).toBe('poison 2/7');
    // The original headers travel with it.
    expect(dead.headers?.[STAMP_HEADER]).toBeInstanceOf(Uint8Array);
    expect(p.runs.toJSON()).toEqual({ 2: [[0, 2100]] });
    p.destroy();
  });

  it('counts failures when there is no DLQ, and rejects the batch when the DLQ send fails', async () => {
    const p = processor({ handler: flaky, spec: { dlqTopic: null } });
    await p.process(batch(0, 0, 1010));
    expect(p.failed).toBe(2);
    expect(p.processed).toBe(1008);
    p.destroy();
    const sink = new Sink();
    sink.fail = new Error('dlq down');
    const q = processor({ handler: flaky, dlq: sink });
    await expect(q.process(batch(0, 0, 10))).rejects.toThrow('dlq down');
    expect(q.deadLettered).toBe(0);
    q.destroy();
  });

  it('a batch handler: one call per batch, retried, a failing batch dead-lettered whole', async () => {
    const sink = new Sink();
    const p = processor({ handler: perBatch, dlq: sink, spec: { maxRetries: 1 } });
    await p.process(batch(0, 0, 5));
    await p.process(batch(0, 5, 5));
    expect(p.processed).toBe(5);
    expect(p.retried).toBe(1);
    expect(p.deadLettered).toBe(5);
    expect(sink.sent.map((m) => header(m, 'mq-dlq-offset'))).toEqual(['5', '6', '7', '8', '9']);
    expect(header(sink.sent[0], 'mq-dlq-error')).toBe('batch with 0/7');
    expect(p.processing.totalCount).toBe(10);
    p.destroy();
  });

  it('stops between chunks when asked: DrainStopped, and the handled part is in the runs', async () => {
    let calls = 0;
    const handler: LoadedHandler = { mode: 'message', fn: () => void calls++ };
    let stopping = false;
    const p = processor({ handler, isStopping: () => stopping });
    const run = p.process(batch(0, 0, 2000));
    stopping = true;
    await expect(run).rejects.toBeInstanceOf(DrainStopped);
    // Handlers go in chunks of 500: the first ran before the stop was seen.
    expect(calls).toBe(500);
    expect(p.runs.toJSON()).toEqual({ 0: [[0, 500]] });
    p.destroy();
  });

  it('fanned out: accounts for the original partition, offset and timestamp; the handler sees the source topic', async () => {
    const seen: string[] = [];
    const handler: LoadedHandler = {
      mode: 'message',
      fn: (m) => void seen.push(`${m.topic}/${m.partition}/${m.offset}`),
    };
    const p = processor({ handler, fannedOut: true, sourceTopic: 'orders', traceReads: true });
    const b = batch(13, 0, 3, Date.now());
    const old = Date.now() - 60_000;
    b.messages.forEach((m, i) => {
      (m.headers as { key: string; value: Uint8Array }[]).push({
        key: ORIGIN_HEADER,
        value: encodeOrigin(3, 500 + i, old),
      });
    });
    await p.process(b);
    expect(seen).toEqual(['orders/3/500', 'orders/3/501', 'orders/3/502']);
    expect(p.runs.toJSON()).toEqual({ 3: [[500, 503]] });
    expect(p.timeInQueue.minNonZeroValue).toBeGreaterThanOrEqual(59_000_000);
    expect(p.takeTraces()).toEqual([{ partition: 3, records: [500, 9, 0, 501, 9, 1, 502, 9, 2] }]);
    expect(p.takeTraces()).toEqual([]);
    p.destroy();
  });
});

describe('loadHandler', () => {
  it('finds handleMessage, handleBatch, or refuses a module with neither', async () => {
    expect(flaky.mode).toBe('message');
    expect(perBatch.mode).toBe('batch');
    await expect(loadHandler(path.join(fixtures, 'no-export.mjs'))).rejects.toBeInstanceOf(HandlerLoadError);
    await expect(loadHandler(path.join(fixtures, 'missing.mjs'))).rejects.toThrow(/cannot load handler/);
  });
});
