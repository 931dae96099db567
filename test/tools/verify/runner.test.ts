/**
 * The verify-loss run end to end in one thread, on the in-process driver: stamping, history,
 * consumers, the final drain and the verdict — and that `mq check` on the written file reaches
 * the same verdict as the live checker.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHistoryFile } from '../../../src/tools/verify/check-file.js';
import { parseFaultSpec } from '../../../src/tools/verify/faults.js';
import { parseHistory } from '../../../src/tools/verify/history-file.js';
import type { VerifyTick } from '../../../src/tools/verify/runner.js';
import { runVerifyLoss } from '../../../src/tools/verify/service.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'mq-verify-runner-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('verify-loss run on the memory driver', () => {
  it('a clean run is valid, and mq check on its history agrees', async () => {
    const historyPath = path.join(tmp, 'clean.jsonl');
    const ticks: VerifyTick[] = [];
    const { report } = await runVerifyLoss({
      driver: 'memory',
      messages: 600,
      producers: 2,
      consumers: 1,
      partitions: 3,
      keys: 7,
      rate: null,
      historyPath,
      intervalMs: 20,
      onRunner: (r) => r.on('tick', (t) => ticks.push(t)),
    });
    expect(report.valid).toBe(true);
    expect(report.counts).toMatchObject({ sent: 600, acked: 600, read: 600, consumed: 600 });
    expect(report.drain.reachedEnd).toBe(true);
    expect(ticks.at(-1)).toMatchObject({ sent: 600, acked: 600, consumed: 600, anomalies: 0 });
    const offline = await checkHistoryFile(historyPath, { examples: 5 });
    expect(offline).toEqual(report);
    const events = parseHistory(await readFile(historyPath, 'utf8'));
    expect(events[0]).toMatchObject({ t: 'meta', producers: 2, partitions: 3, keys: 7, driver: 'memory' });
    // Keyed: every read carries keys, and every key stays in one partition.
    const read = events.find((e) => e.t === 'read');
    expect(read && 'k' in read && read.k?.every((k) => typeof k === 'string')).toBe(true);
    expect(report.anomalies.keySplit).toBe(0);
  });

  it('a consumer crash: the replacement reads again what was never committed', async () => {
    const { report, historyPath } = await runVerifyLoss({
      driver: 'memory',
      messages: 400,
      consumers: 1,
      partitions: 2,
      rate: 2000,
      faults: [parseFaultSpec('consumer-crash,after=50ms')],
      historyPath: path.join(tmp, 'crash.jsonl'),
    });
    const events = parseHistory(await readFile(historyPath, 'utf8'));
    const faults = events.filter((e) => e.t === 'fault');
    expect(faults.map((f) => f.t === 'fault' && `${f.kind} ${f.phase} ${f.target}`)).toEqual([
      'consumer-crash start c0',
      'consumer-crash end c0',
    ]);
    expect(events.some((e) => e.t === 'read' && e.c === 'c0.1')).toBe(true);
    // The memory driver has no commits: the replacement starts over, all of it a redelivery.
    expect(report.anomalies.redelivered).toBeGreaterThan(0);
    expect(report.valid).toBe(true);
    expect(report.counts.consumed).toBe(400);
  });
});
