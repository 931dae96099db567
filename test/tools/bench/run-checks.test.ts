import { describe, expect, it } from 'vitest';
import { driverCapabilities } from '../../../src/drivers/index.js';
import { workloadFromFlags } from '../../../src/tools/bench/cli-options.js';
import { EMPTY_TOTALS } from '../../../src/tools/bench/intervals.js';
import { checkDriver, runWarnings } from '../../../src/tools/bench/run-checks.js';
import { resolveWorkload } from '../../../src/tools/bench/workload.js';
import { interval } from './fixtures.js';

const workload = (flags: Parameters<typeof workloadFromFlags>[0]) =>
  resolveWorkload({ flags: workloadFromFlags(flags) });

describe('checks before a run', () => {
  it('refuses only options the user set that the driver lacks', () => {
    const kafkajs = { name: 'kafkajs', capabilities: driverCapabilities('kafkajs') };
    expect(() => checkDriver(kafkajs, workload({}))).not.toThrow();
    expect(() => checkDriver(kafkajs, workload({ linger: '5ms' }))).toThrow(/producer batching/);
    expect(() => checkDriver(kafkajs, workload({ idempotence: true }))).not.toThrow();
    const mq = { name: 'mq', capabilities: driverCapabilities('mq') };
    expect(() =>
      checkDriver(mq, workload({ linger: '5ms', 'batch-size': '64KB', consumers: 3 })),
    ).not.toThrow();
    expect(() => checkDriver(mq, workload({ compression: 'lz4' }))).toThrow(
      /compression lz4 \(it has: none, gzip\)/,
    );
  });
});

describe('warnings after a run', () => {
  it('says when producers fell behind, messages failed or were not received', () => {
    const w = workload({ rate: '1000' });
    const behind = [1, 2].map((i) => interval(i, 'measure', 800, 1000));
    const failed = { ...interval(3, 'drain', 0, 0), lastError: 'NOT_LEADER' };
    const warnings = runWarnings(
      w,
      [...behind, failed],
      { ...EMPTY_TOTALS, acked: 100, errors: 7, received: 90, unstamped: 2 },
      true,
    );
    expect(warnings).toEqual([
      '7 messages failed to publish (last error: NOT_LEADER)',
      '10 acknowledged messages were not received within the drain timeout',
      '2 messages received without an mq-stamp header (not measured)',
      'producers fell behind the target rate (800 of 1000 msg/s acknowledged): latencies include the wait',
    ]);
    const onRate = [1, 2].map((i) => interval(i, 'measure', 990, 1000));
    expect(runWarnings(w, onRate, { ...EMPTY_TOTALS, acked: 5, received: 5 }, true)).toEqual([]);
  });
});
