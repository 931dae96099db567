import { describe, expect, it } from 'vitest';
import { estimateCapacity } from '../../../src/tools/drain/estimate.js';

const processing = (workMicros = 0, handlerFile: string | null = null) => ({
  workMicros,
  handlerFile,
  maxRetries: 3,
  retryBackoffMs: 0,
  dlqTopic: null,
});

describe('dry-run estimate', () => {
  it('takes the lower of the read rate and 1/work per consumer, consumers up to the partition count', () => {
    const e = estimateCapacity({
      lag: 100_000,
      partitions: 4,
      arrivalRate: 1000,
      readRate: 200_000,
      options: { consumers: 8, fanout: 1, maxRate: null, processing: processing(2000) },
    });
    expect(e.perConsumerRate).toBe(500);
    expect(e.effectiveConsumers).toBe(4);
    expect(e.capacity).toBe(2000);
    expect(e.netRate).toBe(1000);
    expect(e.etaSec).toBe(100);
    expect(e.basis.join('\n')).toMatch(/4 of 8 consumers would idle/);
  });

  it('fan-out multiplies consumers; --max-rate caps; arrivals faster than the drain give no ETA', () => {
    const e = estimateCapacity({
      lag: 10,
      partitions: 4,
      arrivalRate: 50_000,
      readRate: 100_000,
      options: { consumers: 2, fanout: 4, maxRate: 30_000, processing: processing(1000) },
    });
    expect(e.effectiveConsumers).toBe(8);
    expect(e.capacity).toBe(8000);
    expect(e.etaSec).toBeNull();
    expect(e.basis.join('\n')).toMatch(/arrivals outpace the drain/);
    const capped = estimateCapacity({
      lag: 60_000,
      partitions: 4,
      arrivalRate: 0,
      readRate: 100_000,
      options: { consumers: 4, fanout: 1, maxRate: 30_000, processing: processing() },
    });
    expect(capped.capacity).toBe(30_000);
    expect(capped.etaSec).toBe(2);
  });

  it('says so when the speed is unknown, and that a handler is not included', () => {
    const e = estimateCapacity({
      lag: 0,
      partitions: 1,
      arrivalRate: 0,
      readRate: null,
      options: { consumers: 1, fanout: 1, maxRate: null, processing: processing(0, '/x/h.js') },
    });
    expect(e.capacity).toBeNull();
    expect(e.etaSec).toBeNull();
    expect(e.basis.join('\n')).toMatch(/handler's own cost is not included[\s\S]*speed is unknown/);
  });
});
