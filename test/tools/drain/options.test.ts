/**
 * From flags to DrainOptions, and the refusals that come before anything connects (exit 2).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/cli/units.js';
import { drainOptionsFromFlags } from '../../../src/tools/drain/cli-options.js';
import { DrainUsageError } from '../../../src/tools/drain/options.js';
import { isDrainSetupError, runDrain } from '../../../src/tools/drain/service.js';

const base = { brokers: 'b:9092', driver: 'mq', topic: 't', group: 'g' };

describe('drain options from flags', () => {
  it('parses durations, rates and the handler path; fills in defaults', () => {
    const o = drainOptionsFromFlags({
      ...base,
      consumers: 4,
      work: '1.5ms',
      handler: 'h.js',
      dlq: 't.dlq',
      'max-rate': '20k',
      'drain-ratio': '0.99',
      timeout: '2m',
      'produce-rate': '1.5k',
    });
    expect(o.processing).toEqual({
      workMicros: 1500,
      handlerFile: path.resolve('h.js'),
      maxRetries: 3,
      retryBackoffMs: 10,
      dlqTopic: 't.dlq',
    });
    expect(o).toMatchObject({
      consumers: 4,
      maxRate: 20_000,
      drainRatio: 0.99,
      timeoutMs: 120_000,
      produceRate: 1500,
      fanout: 1,
      intervalMs: 1000,
      commitIntervalMs: 200,
    });
    expect(drainOptionsFromFlags(base)).toMatchObject({ maxRate: null, timeoutMs: null, drainRatio: 1 });
  });

  it('refuses what cannot work, saying which flag', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ 'drain-ratio': '1.5' }, /--drain-ratio must be in \(0, 1\]/],
      [{ 'drain-ratio': 'most' }, /--drain-ratio: "most" is not a number/],
      [{ consumers: 0 }, /--consumers must be ≥ 1/],
      [{ fanout: 0 }, /--fanout must be ≥ 1/],
      [{ 'max-rate': 'fast' }, /--max-rate: "fast" is not a rate/],
      [{ 'max-rate': 'max' }, /--max-rate: give a positive number/],
      [{ work: 'a while' }, /--work: "a while" is not a duration/],
      [{ dlq: 'd' }, /--dlq only receives messages a --handler failed on/],
      [{ dlq: 't', handler: 'h.js' }, /--dlq must not be the topic being drained/],
      [{ 'max-retries': -1 }, /--max-retries must be ≥ 0/],
    ];
    for (const [flags, message] of bad) {
      let err: unknown;
      try {
        drainOptionsFromFlags({ ...base, ...flags });
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(flags)).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(message);
      expect(err instanceof UsageError || err instanceof DrainUsageError).toBe(true);
      expect(err instanceof UsageError || isDrainSetupError(err)).toBe(true);
    }
  });

  it('refuses a driver without consumer groups and lag before connecting', async () => {
    const o = drainOptionsFromFlags({ ...base, driver: 'memory' });
    const err = await runDrain(o).catch((e: Error) => e);
    expect(isDrainSetupError(err)).toBe(true);
    expect((err as Error).message).toMatch(/drain-backlog needs consumer groups; consumer lag/);
  });
});
