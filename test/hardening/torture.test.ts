/**
 * Crash torture, reduced (bench/torture.ts runs 100 cycles): SIGKILL of `mq serve` at random
 * moments during produce + consume + commit, restart, check. Under flush sync: no acknowledged
 * record lost or changed, no committed offset gone back, every batch served valid.
 *
 * The control: the same checks under async:5000 (acked first, written every 5 s) must find
 * lost acknowledged records, or the checks could not see a loss at all.
 */
import { describe, expect, it } from 'vitest';
import { runTorture } from '../../bench/torture.js';

describe('crash torture', () => {
  it('5 kill -9 cycles under flush sync: 0 acknowledged records lost, 0 commits lost, 0 corrupt batches', async () => {
    const report = await runTorture({
      cycles: 5,
      seed: 8,
      partitions: 4,
      producers: 3,
      killAfterMs: [300, 1500],
      segmentBytes: '256KiB',
      flush: 'sync',
      valueBytes: 200,
    });
    console.log(`torture (sync): ${JSON.stringify(report)}`);
    expect(report.problems).toEqual([]);
    expect(report.cycles).toBe(5);
    expect(report.lostAcked).toBe(0);
    expect(report.lostCommits).toBe(0);
    expect(report.corruptBatches).toBe(0);
    expect(report.ackedRecords).toBeGreaterThan(500);
    expect(report.ackedCommits).toBeGreaterThan(20);
    expect(report.batchesServed).toBeGreaterThan(100);
  }, 240_000);

  it('control: the same checks find the loss that flush async:5000 allows', async () => {
    const report = await runTorture({
      cycles: 1,
      seed: 9,
      partitions: 2,
      producers: 2,
      killAfterMs: [1500, 2500],
      segmentBytes: '256KiB',
      flush: 'async:5000',
      valueBytes: 200,
    });
    console.log(`torture (async:5000): ${JSON.stringify({ ...report, problems: report.problems.length })}`);
    expect(report.lostAcked).toBeGreaterThan(0);
    expect(report.corruptBatches).toBe(0);
  }, 180_000);
});
