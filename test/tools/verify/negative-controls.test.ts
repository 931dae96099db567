/**
 * Negative controls against the real embedded broker: each scenario really loses, duplicates,
 * redelivers or reorders, and the checker reports exactly the count the ground truth gives —
 * the log read directly after the run (ground-truth.ts), and the history as plain sets. Then
 * the clean control: flush sync and broker kills with idempotent producers lose and duplicate
 * nothing (5 kills here; MQ_VERIFY_KILLS=20 for the full run).
 */
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { checkHistoryFile } from '../../../src/tools/verify/check-file.js';
import { parseFaultSpec } from '../../../src/tools/verify/faults.js';
import {
  runVerifyLoss,
  type VerifyLossOptions,
  type VerifyOutcome,
} from '../../../src/tools/verify/service.js';
import {
  consumerLostCount,
  crashWindow,
  duplicateCount,
  historySets,
  lostCount,
  readLog,
  redeliveryCount,
  reorderCount,
} from './ground-truth.js';

const kept: VerifyOutcome[] = [];
const files: string[] = [];
afterEach(async () => {
  for (const o of kept.splice(0)) await o.close();
  for (const f of files.splice(0)) await rm(f, { force: true });
});

async function run(opts: Partial<VerifyLossOptions> & { messages: number }): Promise<VerifyOutcome> {
  const out = await runVerifyLoss({ keepBroker: true, partitions: 2, examples: 3, ...opts });
  kept.push(out);
  files.push(out.historyPath);
  return out;
}

const faults = (...specs: string[]) => specs.map(parseFaultSpec);
/** The figures each control produced, for the test log. */
const note = (what: string, figures: Record<string, number>) =>
  console.log(
    `${what}: ${Object.entries(figures)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );

describe('negative controls (embedded broker)', () => {
  it('flush async + broker kill: acknowledged messages are lost, exactly as many as the log lacks', async () => {
    const out = await run({
      messages: 3000,
      rate: 1000,
      consumers: 1,
      brokerFlush: 'async:1000',
      idempotent: true,
      faults: faults('broker-kill,after=1500ms'),
    });
    const truth = lostCount(await historySets(out.historyPath), await readLog(out.bootstrap, out.topic));
    note('async flush + broker kill', {
      acked: out.report.counts.acked,
      lostInLog: truth,
      checkerLost: out.report.anomalies.lost,
    });
    expect(truth).toBeGreaterThan(0);
    expect(out.report.anomalies.lost).toBe(truth);
    expect(out.report.lost.unseen).toBe(0);
    expect(out.report.drain.reachedEnd).toBe(true);
    expect(out.report.valid).toBe(false);
    expect(out.report.examples.lost?.[0].nearestFault?.kind).toBe('broker-kill');
  });

  it('commit before processing + consumer crash: the crashed batch is lost to the group', async () => {
    const out = await run({
      messages: 3000,
      rate: 1000,
      consumers: 1,
      consumerMode: 'at-most-once',
      faults: faults('consumer-crash,after=1s'),
    });
    const h = await historySets(out.historyPath);
    const truth = consumerLostCount(h, await readLog(out.bootstrap, out.topic));
    note('commit before processing + crash', {
      truth,
      checkerConsumerLost: out.report.anomalies.consumerLost,
    });
    expect(truth).toBeGreaterThan(0);
    expect(crashWindow(h.events, 'c0').committedUnread).toBe(truth);
    expect(out.report.anomalies.consumerLost).toBe(truth);
    expect(out.report.anomalies.lost).toBe(0);
    expect(out.report.counted).toEqual(['consumerLost']);
    const amo = await checkHistoryFile(out.historyPath, { expect: 'at-most-once' });
    expect(amo.valid).toBe(true);
  });

  it('at-least-once consumer + crash: redeliveries, allowed at-least-once, reported exactly-once', async () => {
    const out = await run({
      messages: 3000,
      rate: 1000,
      consumers: 1,
      idempotent: true,
      faults: faults('consumer-crash,after=1s'),
    });
    const h = await historySets(out.historyPath);
    const truth = redeliveryCount(h);
    note('at-least-once + crash', { truth, checkerRedelivered: out.report.anomalies.redelivered });
    expect(truth).toBeGreaterThan(0);
    expect(crashWindow(h.events, 'c0').uncommitted).toBe(truth);
    expect(out.report.anomalies.redelivered).toBe(truth);
    expect(out.report.valid).toBe(true);
    const eos = await checkHistoryFile(out.historyPath, { expect: 'exactly-once' });
    expect(eos.valid).toBe(false);
    expect(eos.counted).toEqual(['redelivered']);
  });

  it('non-idempotent retries through a response-dropping proxy: log duplicates, exactly', async () => {
    const out = await run({
      driver: 'kafkajs',
      messages: 1000,
      rate: 500,
      consumers: 0,
      partitions: 1,
      idempotent: false,
      maxInFlight: 1,
      requestTimeoutMs: 1500,
      faults: faults('produce-response-drop,after=500ms'),
    });
    const truth = duplicateCount(await readLog(out.bootstrap, out.topic));
    note('response drop, no idempotence', { truth, checkerLogDuplicates: out.report.anomalies.logDuplicate });
    expect(truth).toBeGreaterThan(0);
    expect(out.report.anomalies.logDuplicate).toBe(truth);
    expect(out.report.anomalies.lost).toBe(0);
    const eos = await checkHistoryFile(out.historyPath, { expect: 'exactly-once' });
    expect(eos.counted).toContain('logDuplicate');
  });

  it('several requests in flight without idempotence + a failed request: reordering, exactly', async () => {
    const out = await run({
      messages: 5000,
      rate: null,
      consumers: 0,
      partitions: 1,
      idempotent: false,
      maxInFlight: 5,
      batchSize: 1024,
      faults: faults('produce-error,after=300ms'),
    });
    const truth = reorderCount(await readLog(out.bootstrap, out.topic));
    note('in-flight 5, no idempotence, failed request', {
      truth,
      checkerReordered: out.report.anomalies.reordered,
    });
    expect(truth).toBeGreaterThan(0);
    expect(out.report.anomalies.reordered).toBe(truth);
    expect(out.report.anomalies.lost).toBe(0);
    expect(out.report.valid).toBe(false);
  });

  it('clean: a paused broker and a clean restart lose nothing', async () => {
    const out = await run({
      messages: 3000,
      rate: 1000,
      consumers: 1,
      idempotent: true,
      faults: faults('broker-pause,after=500ms,for=700ms', 'broker-restart,after=1500ms'),
    });
    const log = await readLog(out.bootstrap, out.topic);
    expect(lostCount(await historySets(out.historyPath), log)).toBe(0);
    expect(out.report.faults).toEqual(
      expect.arrayContaining([
        { kind: 'broker-pause', count: 1 },
        { kind: 'broker-restart', count: 1 },
      ]),
    );
    expect(out.report.anomalies.lost).toBe(0);
    expect(out.report.counted).toEqual([]);
  });

  const kills = Number(process.env.MQ_VERIFY_KILLS ?? 5);
  it(`clean: flush sync + ${kills} broker kills with idempotent producers lose and duplicate nothing`, async () => {
    const t0 = Date.now();
    const out = await run({
      messages: kills * 1000,
      rate: 1500,
      producers: 2,
      consumers: 2,
      partitions: 4,
      idempotent: true,
      faults: faults(`broker-kill,every=300ms,count=${kills}`),
    });
    const log = await readLog(out.bootstrap, out.topic);
    const h = await historySets(out.historyPath);
    const seconds = (Date.now() - t0) / 1000;
    note(`clean, ${kills} broker kills`, {
      seconds,
      acked: out.report.counts.acked,
      indeterminate: out.report.counts.indeterminate,
      lost: lostCount(h, log),
      logDuplicates: duplicateCount(log),
      checkerLost: out.report.anomalies.lost,
      checkerLogDuplicates: out.report.anomalies.logDuplicate,
    });
    expect(lostCount(h, log)).toBe(0);
    expect(duplicateCount(log)).toBe(0);
    expect(out.report.faults).toEqual([{ kind: 'broker-kill', count: kills }]);
    expect(out.report.anomalies.lost).toBe(0);
    expect(out.report.anomalies.logDuplicate).toBe(0);
    expect(out.report.counted).toEqual([]);
    expect(out.report.valid).toBe(true);
  }, 600_000);
});
