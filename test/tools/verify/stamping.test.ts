/**
 * The stamping wrapper around a driver producer (the in-process driver here): headers, history
 * events before and after each send, and the error classification.
 */
import { describe, expect, it } from 'vitest';
import { BrokerError, ConnectionError, KafkaClientError } from '../../../src/client/errors.js';
import type { ProducerDriver } from '../../../src/drivers/driver.js';
import { createMemoryDriver, resetMemoryStore } from '../../../src/drivers/memory.js';
import { decodeStamp, STAMP_HEADER } from '../../../src/tools/stamp.js';
import type { HistoryEvent } from '../../../src/tools/verify/history.js';
import { classifySendError, withStamping } from '../../../src/tools/verify/stamping.js';

describe('stamping wrapper', () => {
  it('stamps producer, sequence and intended time, and records send before ok', async () => {
    resetMemoryStore('stamp');
    const driver = createMemoryDriver({ brokers: 'stamp' });
    await driver.admin.createTopic('t', 2);
    const events: HistoryEvent[] = [];
    let clock = 0;
    const p = withStamping(driver.createProducer(), {
      producerId: 7,
      sink: { write: (e) => events.push(e) },
      clock: () => clock++,
    });
    await p.send(
      't',
      [
        { value: 'a', partition: 1 },
        { value: 'b', partition: 1 },
      ],
      (i) => 1000 + i,
    );
    await p.send('t', [{ value: 'c', key: 'k' }]);
    expect(events[0]).toEqual({ t: 'send', ts: 0, p: 7, s: 0, n: 2, pt: 1 });
    expect(events[1]).toEqual({ t: 'ok', ts: 1, p: 7, s: 0, n: 2, pt: 1, o: 0 });
    expect(events[2]).toMatchObject({ t: 'send', p: 7, s: 2, n: 1 });
    expect(events[2]).not.toHaveProperty('pt');
    const got: unknown[] = [];
    const c = driver.createConsumer({ topic: 't', fromBeginning: true });
    await c.start((b) => {
      for (const m of b.messages) got.push(decodeStamp(m.headers.find((h) => h.key === STAMP_HEADER)?.value));
    });
    await c.close();
    expect(got).toContainEqual({ producerId: 7, sequence: 0, intendedMicros: 1000 });
    expect(got).toContainEqual({ producerId: 7, sequence: 1, intendedMicros: 1001 });
  });

  it('a failed send is recorded as fail or info, and still rejects', async () => {
    const events: HistoryEvent[] = [];
    const failing: ProducerDriver = {
      connect: async () => {},
      send: async () => {
        throw new ConnectionError('connection lost');
      },
      flush: async () => {},
      close: async () => {},
    };
    const p = withStamping(failing, { producerId: 1, sink: { write: (e) => events.push(e) } });
    await expect(p.send('t', [{ value: 'x', partition: 0 }])).rejects.toThrow('connection lost');
    expect(events.map((e) => e.t)).toEqual(['send', 'info']);
  });

  it('only errors that refuse the records are definite failures', () => {
    expect(classifySendError(new KafkaClientError('INVALID_ARGUMENT', 'no partition 9', false))).toBe('fail');
    expect(classifySendError(new BrokerError(10, 't-0'))).toBe('fail'); // MESSAGE_TOO_LARGE
    expect(classifySendError(new BrokerError(6, 't-0'))).toBe('info'); // NOT_LEADER_OR_FOLLOWER
    expect(classifySendError(new ConnectionError('reset'))).toBe('info');
    expect(classifySendError(new Error('anything else'))).toBe('info');
  });
});
