/**
 * drain-backlog against a real broker (embedded, flush os) with real worker threads, which run
 * compiled code: `npm run build` first. Every check is on counts, offsets and the result
 * document; the one check of a speed is the --max-rate cap, which is the behaviour under test.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDriver, type Driver, type IncomingMessage } from '../../../src/drivers/index.js';
import { fillBacklog } from '../../../src/tools/backlog/fill.js';
import { type DrainOptions, withDrainDefaults } from '../../../src/tools/drain/options.js';
import { DrainResultSchema } from '../../../src/tools/drain/result.js';
import type { DrainRunner } from '../../../src/tools/drain/runner.js';
import { runDrain } from '../../../src/tools/drain/service.js';
import type { EmbeddedBroker } from '../../../src/tools/embedded-broker.js';
import { packageRoot } from '../../../src/tools/package-root.js';
import { LossChecker } from '../../../src/tools/verify/checker/checker.js';
import { startBroker } from '../../support/broker.js';

const FILL_PRODUCER = 4242;
const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
let broker: EmbeddedBroker;
let driver: Driver;

beforeAll(async () => {
  if (!existsSync(path.join(packageRoot(), 'dist', 'src', 'tools', 'drain', 'consumer-worker.js')))
    throw new Error('run npm run build first');
  broker = await startBroker({ flush: 'os' });
  driver = createDriver('mq', { brokers: broker.bootstrap });
});
afterAll(async () => {
  await driver?.close();
});

async function drain(o: Partial<DrainOptions> & { topic: string }, onRunner?: (r: DrainRunner) => void) {
  const result = await runDrain(
    withDrainDefaults({ driver: 'mq', brokers: broker.bootstrap, group: `${o.topic}-g`, ...o }),
    { onRunner },
  );
  expect(DrainResultSchema.safeParse(result).error).toBeUndefined();
  return result;
}

async function committedEqualsLogEnd(topic: string, group: string) {
  const lag = await driver.admin.lag(group, topic);
  expect(lag.length).toBeGreaterThan(0);
  for (const p of lag) expect(p.committed, `partition ${p.partition}`).toBe(p.endOffset);
}

/** Every message of a topic, read from the start by a consumer outside any group. */
async function readAll(topic: string, count: number): Promise<IncomingMessage[]> {
  const out: IncomingMessage[] = [];
  const c = driver.createConsumer({ topic, fromBeginning: true, autoCommit: false });
  let done!: () => void;
  const enough = new Promise<void>((r) => {
    done = r;
  });
  await c.start((b) => {
    out.push(...b.messages);
    if (out.length >= count) done();
  });
  await enough;
  await c.close();
  return out;
}

describe('mq drain-backlog (worker threads, embedded broker)', () => {
  it('drains a 1,000,000-message backlog to lag 0 with 4 consumers; committed = log end; every message processed at least once (verify-loss checker)', async () => {
    const checker = new LossChecker({ expect: 'at-least-once' });
    const t0 = Date.now();
    checker.add({ t: 'meta', v: 1, at: new Date(t0).toISOString(), topic: 'big', partitions: 8 });
    const fill = await fillBacklog(driver, {
      topic: 'big',
      messages: 1_000_000,
      partitions: 8,
      onAck: (a) => {
        const base = { ts: Date.now() - t0, p: FILL_PRODUCER, s: a.sequence, n: a.count, pt: a.partition };
        checker.add({ t: 'send', ...base });
        checker.add({ t: 'ok', ...base, o: a.offset });
      },
      producerId: FILL_PRODUCER,
    });
    expect(fill.messages).toBe(1_000_000);
    const result = await drain({ topic: 'big', group: 'big-g', consumers: 4, traceReads: true }, (r) =>
      r.on('reads', (worker, traces) => {
        for (const t of traces)
          checker.add({ t: 'read', ts: Date.now() - t0, c: worker, pt: t.partition, r: t.records });
      }),
    );
    expect(result.outcome).toBe('drained');
    expect(result.exitCode).toBe(0);
    expect(result.startLag.messages).toBe(1_000_000);
    expect(result.endLag.messages).toBe(0);
    expect(result.drained).toEqual({ messages: 1_000_000, fraction: 1 });
    await committedEqualsLogEnd('big', 'big-g');
    // The drain's own check, by offset: every committed offset was handled.
    expect(result.coverage).toMatchObject({ handled: 1_000_000, missing: 0, gaps: [] });
    expect(result.counts.processed).toBe(1_000_000 + result.coverage!.repeats);
    expect(result.latencyMs.timeInQueue.count).toBe(result.counts.processed);
    // verify-loss's checker, by stamp: each acknowledged message was read by the drain's consumers.
    const report = checker.finish();
    expect(report.counts.acked).toBe(1_000_000);
    expect(report.counts.consumed).toBe(1_000_000);
    expect(report.anomalies.lost).toBe(0);
    expect(report.anomalies.unexpected).toBe(0);
    expect(report.anomalies.inconsistentOffset).toBe(0);
  });

  it('--max-rate holds the measured drain rate within 5% of the cap (over more than 5 s)', async () => {
    await fillBacklog(driver, { topic: 'capped', messages: 170_000, partitions: 8 });
    const result = await drain({ topic: 'capped', consumers: 2, maxRate: 20_000 });
    expect(result.outcome).toBe('drained');
    expect(result.counts.processed).toBeGreaterThanOrEqual(170_000);
    // Measured from the first message handled to the last: no start-up, no end-of-drain detection.
    expect(result.activeSec).toBeGreaterThanOrEqual(5);
    const rate = result.rates.active;
    expect(Math.abs(rate - 20_000) / 20_000, `measured ${rate.toFixed(0)} msg/s`).toBeLessThan(0.05);
  });

  it('--drain-ratio 0.5 stops once half of the starting backlog is committed', async () => {
    await fillBacklog(driver, { topic: 'half', messages: 40_000, partitions: 4 });
    const result = await drain({ topic: 'half', consumers: 1, maxRate: 10_000, drainRatio: 0.5 });
    expect(result.outcome).toBe('drained');
    expect(result.reason).toBe('drain ratio 0.5 reached');
    expect(result.exitCode).toBe(0);
    expect(result.drained.fraction).toBeGreaterThanOrEqual(0.5);
    expect(result.endLag.messages).toBeGreaterThan(0);
    expect(result.endLag.messages).toBe(40_000 - result.drained.messages);
    expect(result.coverage?.missing).toBe(0);
  });

  it('--fanout 4 drains through a temporary topic with 4× partitions; nothing lost; the temporary topic removed', async () => {
    await fillBacklog(driver, { topic: 'wide', messages: 100_000, partitions: 4 });
    const result = await drain({ topic: 'wide', consumers: 1, fanout: 4 });
    expect(result.outcome).toBe('drained');
    expect(result.exitCode).toBe(0);
    expect(result.fanout).toMatchObject({ partitions: 16, left: 0, removed: true });
    expect(await driver.admin.partitionCount(result.fanout!.tempTopic)).toBeNull();
    await committedEqualsLogEnd('wide', 'wide-g');
    // Handled by the fan-out consumers, accounted by original partition and offset.
    expect(result.coverage).toMatchObject({ handled: 100_000, missing: 0 });
    expect(result.counts.processed).toBeGreaterThanOrEqual(100_000);
  });

  it('a handler that throws on some messages: retried, then dead-lettered; processed + DLQ = produced', async () => {
    await fillBacklog(driver, { topic: 'flaky', messages: 20_000, partitions: 4 });
    const ends = (await driver.admin.lag('flaky-g', 'flaky')).map((p) => p.endOffset);
    const count = (end: number, every: number, at: number) => Math.floor((end - 1 - at) / every) + 1;
    const poison = ends.reduce((a, e) => a + count(e, 1000, 7), 0);
    const transient = ends.reduce((a, e) => a + count(e, 100, 3), 0);
    const result = await drain({
      topic: 'flaky',
      consumers: 1,
      processing: {
        workMicros: 0,
        handlerFile: path.join(fixtures, 'flaky-handler.mjs'),
        maxRetries: 2,
        retryBackoffMs: 0,
        dlqTopic: 'flaky.dlq',
      },
    });
    expect(result.outcome).toBe('drained');
    expect(result.exitCode).toBe(0);
    expect(result.coverage).toMatchObject({ handled: 20_000, repeats: 0, missing: 0 });
    expect(result.counts.deadLettered).toBe(poison);
    expect(result.counts.failed).toBe(0);
    expect(result.counts.retried).toBe(transient + 2 * poison);
    expect(result.counts.processed + result.counts.deadLettered).toBe(20_000);
    await committedEqualsLogEnd('flaky', 'flaky-g');
    const dead = await readAll('flaky.dlq', poison);
    expect(dead).toHaveLength(poison);
    const header = (m: IncomingMessage, k: string) =>
      Buffer.from(m.headers.find((h) => h.key === k)!.value!).toString();
    for (const m of dead) {
      const offset = Number(header(m, 'mq-dlq-offset'));
      expect(offset % 1000).toBe(7);
      expect(header(m, 'mq-dlq-error')).toBe(`poison ${header(m, 'mq-dlq-partition')}/${offset}`);
      expect(header(m, 'mq-dlq-attempts')).toBe('3');
    }
  });
});
