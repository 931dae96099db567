/**
 * Negative controls against the real embedded broker: each scenario really loses, duplicates,
 * redelivers or reorders, and the checker reports exactly the count the ground truth gives —
 * the log read directly after the run (ground-truth.ts), and the history as plain sets. Then
 * the clean controls: a paused and a restarted broker, and flush sync with 20 broker kills
 * (MQ_VERIFY_KILLS to change it) and idempotent producers, lose and duplicate nothing.
 */
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EmbeddedBroker } from '../../../src/tools/embedded-broker.js';
import { checkHistoryFile } from '../../../src/tools/verify/check-file.js';
import { parseFaultSpec } from '../../../src/tools/verify/faults.js';
import {
  runVerifyLoss,
  type VerifyLossOptions,
  type VerifyOutcome,
} from '../../../src/tools/verify/service.js';
import { grouped } from '../../../src/ui/format.js';
import { reportSummary } from '../../../src/ui/verify/report-text.js';
import {
  consumerLostCount,
  crashWindow,
  duplicateCount,
  faultTimes,
  historySets,
  id,
  inFlightAt,
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

  it('clean: a paused broker and a clean restart lose nothing, and both really happened', async () => {
    // The pid of every broker process stopped by a clean restart (SIGTERM).
    const stoppedPids: (number | undefined)[] = [];
    const stop = EmbeddedBroker.prototype.stop;
    const spy = vi.spyOn(EmbeddedBroker.prototype, 'stop').mockImplementation(function (
      this: EmbeddedBroker,
    ) {
      stoppedPids.push(this.pid);
      return stop.call(this);
    });
    let out: VerifyOutcome;
    try {
      out = await run({
        messages: 4000,
        rate: 1000,
        consumers: 1,
        idempotent: true,
        faults: faults('broker-pause,after=500ms,for=1200ms', 'broker-restart,after=2000ms'),
      });
    } finally {
      spy.mockRestore();
    }
    const log = await readLog(out.bootstrap, out.topic);
    const h = await historySets(out.historyPath);
    expect(lostCount(h, log)).toBe(0);
    expect(out.report.faults).toEqual(
      expect.arrayContaining([
        { kind: 'broker-pause', count: 1 },
        { kind: 'broker-restart', count: 1 },
      ]),
    );
    expect(out.report.anomalies.lost).toBe(0);
    expect(out.report.counted).toEqual([]);
    // The pause stopped the broker: acknowledgements came up to it and after it, none inside it
    // (but for answers already on their way when it began).
    const pause = faultTimes(h.events, 'broker-pause');
    expect(pause.starts).toHaveLength(1);
    expect(pause.ends).toHaveLength(1);
    const [from, to] = [pause.starts[0], pause.ends[0]];
    expect(to - from).toBeGreaterThanOrEqual(1200);
    const acks = h.events.flatMap((e) => (e.t === 'ok' ? [e.ts] : []));
    const acksIn = (a: number, b: number) => acks.filter((ts) => ts > a && ts < b).length;
    note('pause', {
      acksBefore: acksIn(from - 500, from),
      acksInside: acksIn(from + 300, to - 20),
      acksAfter: acksIn(to, to + 1000),
    });
    expect(acksIn(from - 500, from)).toBeGreaterThan(0);
    expect(acksIn(from + 300, to - 20)).toBe(0);
    expect(acksIn(to, to + 1000)).toBeGreaterThan(0);
    // The restart stopped the broker process and started another one, both in the history.
    const restart = faultTimes(h.events, 'broker-restart');
    expect(restart.starts).toHaveLength(1);
    expect(restart.ends).toHaveLength(1);
    expect(restart.ends[0]).toBeGreaterThan(restart.starts[0]);
    expect(stoppedPids).toHaveLength(1);
    const [before] = stoppedPids;
    expect(before).toBeGreaterThan(0);
    expect(out.broker?.pid).toBeGreaterThan(0);
    expect(out.broker?.pid).not.toBe(before);
    expect(() => process.kill(before!, 0)).toThrow(); // the old process is gone
  });

  it('the final read out of time: the short partitions are listed, and what it did not read is unseen, not certain', async () => {
    const out = await run({
      messages: 30_000,
      rate: null,
      consumers: 0,
      partitions: 3,
      idempotent: true,
      drainTimeoutMs: 10,
    });
    const h = await historySets(out.historyPath);
    const log = await readLog(out.bootstrap, out.topic);
    const drained = new Set<string>();
    for (const e of h.events)
      if (e.t === 'read' && e.c === 'drain')
        for (let i = 0; i < e.r.length; i += 3) drained.add(id(e.r[i + 1], e.r[i + 2]));
    const unread = [...h.acked].filter((k) => !drained.has(k)).length;
    const short = out.report.drain.partitions.filter((p) => p.reached < p.end);
    note('drain timeout', { unread, shortPartitions: short.length });
    // Everything is in the log; the final read just did not get to all of it.
    expect(lostCount(h, log)).toBe(0);
    expect(h.acked.size).toBe(30_000);
    expect(unread).toBeGreaterThan(0);
    expect(out.report.drain.reachedEnd).toBe(false);
    expect(short.length).toBeGreaterThan(0);
    for (const p of out.report.drain.partitions) expect(p.end).toBe(10_000);
    expect(out.report.lost).toEqual({ certain: 0, unseen: unread, readBeforeLoss: 0, indeterminate: 0 });
    expect(out.report.valid).toBe(false); // an unverified message is not a verified one
    const text = reportSummary(out.report);
    expect(text).toContain(
      `final read: did NOT reach every partition end (${short.map((p) => `${p.partition}: ${p.reached} of ${p.end}`).join(', ')})`,
    );
    expect(text).toContain(`lost: 0 certain, ${grouped(unread)} unseen`);
  });

  const kills = Number(process.env.MQ_VERIFY_KILLS ?? 20);
  it(`clean: flush sync + ${kills} broker kills with idempotent producers lose and duplicate nothing`, async () => {
    // A restart of the embedded broker takes 1.5 to 6 s on a busy two-core machine, so how long
    // the kills take is not known in advance. The producers are given more messages than they
    // can send, and the run is stopped (as Ctrl-C does: what was sent is settled, caught up,
    // drained and checked) once the last broker is back and has acknowledged 500 messages:
    // every kill lands while the producers are sending, and the run is no longer than that.
    const t0 = Date.now();
    let ended = 0;
    let acked = 0;
    let ackedAtLastEnd = -1;
    const out = await run({
      messages: 1_000_000,
      rate: 1000,
      producers: 2,
      consumers: 2,
      partitions: 4,
      idempotent: true,
      intervalMs: 100,
      faults: faults(`broker-kill,every=300ms,count=${kills}`),
      onRunner: (r) => {
        r.on('fault', (f) => {
          if (f.kind === 'broker-kill' && f.phase === 'end' && ++ended === kills) ackedAtLastEnd = acked;
        });
        r.on('tick', (t) => {
          acked = t.acked;
          if (ackedAtLastEnd >= 0 && acked >= ackedAtLastEnd + 500) r.stop();
        });
      },
    });
    const log = await readLog(out.bootstrap, out.topic);
    const h = await historySets(out.historyPath);
    const seconds = (Date.now() - t0) / 1000;
    // Every kill landed while the producers were sending: messages in flight at it (sent before,
    // settled after or never) — after a kill that is the backlog, up to 2,000 — or, when they
    // were keeping up and each send was answered within milliseconds, sends in the 500 ms before.
    const { starts, ends } = faultTimes(h.events, 'broker-kill');
    const inFlight = inFlightAt(h.events, starts);
    const sendsBefore = starts.map(
      (t) => h.events.filter((e) => e.t === 'send' && e.ts > t - 500 && e.ts <= t).length,
    );
    const sending = starts.map((_, i) => inFlight[i] + sendsBefore[i]);
    note(`clean, ${kills} broker kills`, {
      seconds,
      acked: out.report.counts.acked,
      indeterminate: out.report.counts.indeterminate,
      leastSendingAtAKill: Math.min(...sending),
      lost: lostCount(h, log),
      logDuplicates: duplicateCount(log),
      checkerLost: out.report.anomalies.lost,
      checkerLogDuplicates: out.report.anomalies.logDuplicate,
    });
    expect(starts).toHaveLength(kills);
    expect(ends).toHaveLength(kills);
    expect(sending.filter((n) => n === 0)).toEqual([]);
    expect(h.events.some((e) => e.t === 'ok' && e.ts > Math.max(...ends))).toBe(true);
    // The group rebalanced under the kills, and the history has its assignments and revocations.
    const assigned = new Set(h.events.flatMap((e) => (e.t === 'assign' ? [e.c] : [])));
    expect(assigned).toEqual(new Set(['c0', 'c1']));
    expect(h.events.some((e) => e.t === 'revoke')).toBe(true);
    expect(out.stopped).toBe(true);
    expect(out.report.drain.reachedEnd).toBe(true);
    expect(lostCount(h, log)).toBe(0);
    expect(duplicateCount(log)).toBe(0);
    expect(out.report.faults).toEqual([{ kind: 'broker-kill', count: kills }]);
    expect(out.report.anomalies.lost).toBe(0);
    expect(out.report.anomalies.logDuplicate).toBe(0);
    expect(out.report.counted).toEqual([]);
    expect(out.report.valid).toBe(true);
  }, 300_000);
});
