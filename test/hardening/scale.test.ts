/**
 * Scale, reduced (bench/scale.ts runs 1,000 partitions, 1,000 connections, a 5 GiB backlog):
 * 200 partitions and 300 connections all asking Metadata at once and then while producers run,
 * and a 300 MiB backlog filled and drained. The broker answers every request, and its resident
 * memory stays at or below 300 MiB throughout: batches are written through and read back from
 * the files (page cache), never kept in broker memory.
 */
import { describe, expect, it } from 'vitest';
import { MiB } from '../../bench/hardening/proc.js';
import { runScale } from '../../bench/scale.js';

describe('scale (reduced)', () => {
  it('200 partitions, 300 connections, 300 MiB backlog: every request answered, RSS <= 300 MiB', async (ctx) => {
    if (process.platform !== 'linux') {
      console.warn('skipping: broker memory is read from /proc');
      ctx.skip();
      return;
    }
    const report = await runScale({
      partitions: 200,
      connections: 300,
      rounds: 3,
      producers: 4,
      produceSeconds: 3,
      backlogBytes: 300 * MiB,
      consumers: 4,
      flush: 'os',
      restart: false,
    });
    console.log(`scale (reduced): ${JSON.stringify(report)}`);
    expect(report.errors).toEqual([]);
    expect(report.metadataStorm.count).toBe(900);
    expect(report.metadataUnderLoad.count).toBeGreaterThan(300);
    expect(report.produce.recordsPerSec).toBeGreaterThan(1000);
    expect(report.backlog.bytes).toBeGreaterThanOrEqual(300 * MiB);
    expect(report.backlog.drainedBytes).toBeGreaterThanOrEqual(report.backlog.bytes);
    expect(report.rssMiB.peak).toBeLessThanOrEqual(300);
  }, 300_000);
});
