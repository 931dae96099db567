/**
 * Protocol fuzzing of a real `mq serve` process (bench/fuzz.ts; the longer run is
 * `node dist/bench/fuzz.js`). 100,000 cases over every (api, version) the broker advertises:
 * every answer is the well-formed response of what was asked, in order, or the connection is
 * closed; no case takes the broker down, leaves a Node warning or an unhandled error in its
 * stderr, or stops a well-behaved client from being served afterwards.
 *
 * Then frames that claim far more than they carry (2^31 array elements, 4 GiB strings, frame
 * sizes near --max-request-bytes with nothing behind them): the broker's memory stays flat,
 * because every length is checked against what arrived before anything is allocated from it.
 *
 * The seed is fixed so a failure reproduces; MQ_FUZZ_SEED picks another.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advertisedApis, hugeClaimFrames, runFuzz } from '../../bench/fuzz.js';
import { MiB, rssBytes } from '../../bench/hardening/proc.js';
import { WireClient } from '../../bench/hardening/wire-client.js';
import { EmbeddedBroker } from '../../src/tools/embedded-broker.js';
import { expectAliveAndClean, expectServes } from './support.js';

const SEED = Number(process.env.MQ_FUZZ_SEED ?? 20_240_611);
const CASES = 100_000;
const MAX_REQUEST = 100 * MiB; // the default, so the size-only frames claim what a real broker allows

/** Virtual data size (VmData): grows with every allocation, even one whose pages are never touched. */
function vmDataBytes(pid: number): number {
  const m = /^VmData:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

describe('protocol fuzzing', () => {
  let broker: EmbeddedBroker;

  beforeAll(async () => {
    broker = await EmbeddedBroker.start({
      flush: 'os',
      logLevel: 'error', // a warn line per refused frame would be 40,000 lines
      extraArgs: ['--max-request-bytes', String(MAX_REQUEST)],
    });
  });
  afterAll(async () => {
    await broker?.close();
  });

  it(`${CASES.toLocaleString('en')} cases over every advertised (api, version): well-formed answers, no crash, still serving`, async () => {
    const report = await runFuzz({
      port: broker.port,
      cases: CASES,
      seed: SEED,
      connections: 16,
      caseTimeoutMs: 1000,
      healthEvery: 10_000,
      pid: broker.pid,
    });
    const { perPair, ...summary } = report;
    console.log(`fuzz (seed ${SEED}): ${JSON.stringify(summary)}`);
    expect(report.violations).toEqual([]);
    expect(report.cases).toBe(CASES);
    const { ranges } = await advertisedApis(broker.port);
    for (const r of ranges) {
      for (let v = r.minVersion; v <= r.maxVersion; v++) {
        expect(perPair[`${r.apiKey}v${v}`] ?? 0, `cases for api ${r.apiKey} v${v}`).toBeGreaterThan(200);
      }
    }
    for (const kind of ['valid', 'mutated', 'random', 'header', 'lying'] as const) {
      expect(report.byKind[kind]).toBeGreaterThan(1000);
    }
    // Both ways a case can end were exercised many times.
    expect(report.outcomes.answered).toBeGreaterThan(10_000);
    expect(report.outcomes.closed).toBeGreaterThan(10_000);
    expectAliveAndClean(broker);
    await expectServes(broker);
  }, 300_000);

  it('no allocation proportional to a claimed length: memory stays flat under frames that claim gigabytes', async () => {
    const pid = broker.pid!;
    const rss0 = rssBytes(pid);
    if (rss0 === null) {
      console.warn('skipping: no /proc to read the broker memory from');
      return;
    }
    const vm0 = vmDataBytes(pid);
    const { complete, sizeOnly } = hugeClaimFrames(MAX_REQUEST);
    // 100 rounds of every complete frame, each on its own connection: refused or answered.
    for (let round = 0; round < 100; round++) {
      await Promise.all(
        complete.map(async (frame) => {
          const c = await WireClient.connect(broker.port);
          c.write(frame);
          await Promise.race([c.whenClosed, new Promise((r) => setTimeout(r, 200))]);
          c.close();
        }),
      );
    }
    // 60 connections that announce a frame of up to 100 MiB and send nothing more: 5 GiB claimed.
    const held: WireClient[] = [];
    for (let i = 0; i < 60; i++) {
      const c = await WireClient.connect(broker.port);
      c.write(sizeOnly[i % sizeOnly.length]);
      held.push(c);
    }
    await new Promise((r) => setTimeout(r, 500));
    const rss1 = rssBytes(pid)!;
    const vm1 = vmDataBytes(pid);
    for (const c of held) c.close();
    console.log(
      `memory under huge claims: rss ${(rss0 / MiB).toFixed(0)} -> ${(rss1 / MiB).toFixed(0)} MiB, ` +
        `vmdata ${(vm0 / MiB).toFixed(0)} -> ${(vm1 / MiB).toFixed(0)} MiB`,
    );
    expect(rss1 - rss0).toBeLessThan(64 * MiB);
    expect(vm1 - vm0).toBeLessThan(256 * MiB);
    expectAliveAndClean(broker);
    await expectServes(broker);
  }, 120_000);
});
