/**
 * The driver contract as the RabbitMQ and Redis suites check it against a real server: topics,
 * receipts, stamps and headers that survive, per-partition order, consumer groups (each group
 * gets everything, members of one group share it), commit and lag, redelivery of what was not
 * committed, and a consumer process killed mid-stream losing nothing for its group.
 */

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { expect, it } from 'vitest';
import {
  type ConsumerDriver,
  type Driver,
  headerValue,
  type IncomingBatch,
  type IncomingMessage,
} from '../../src/drivers/index.js';
import { decodeStamp, encodeStamp, STAMP_HEADER } from '../../src/tools/stamp.js';
import { mq } from '../support/mq-cli.js';

export function stamped(producerId: number, sequence: number) {
  return { [STAMP_HEADER]: encodeStamp({ producerId, sequence, intendedMicros: Date.now() * 1000 }) };
}

export const seqOf = (m: IncomingMessage) => decodeStamp(headerValue(m, STAMP_HEADER))?.sequence ?? -1;

/** Collects batches; until(n) resolves once n messages arrived (or rejects after timeoutMs). */
export function collector() {
  const batches: IncomingBatch[] = [];
  let count = 0;
  let waiter: { n: number; resolve: () => void } | null = null;
  return {
    batches,
    get count() {
      return count;
    },
    messages: () => batches.flatMap((b) => b.messages),
    seqs: () => batches.flatMap((b) => b.messages.map(seqOf)),
    onBatch: (b: IncomingBatch) => {
      batches.push(b);
      count += b.messages.length;
      if (waiter && count >= waiter.n) waiter.resolve();
    },
    until(n: number, timeoutMs = 20_000): Promise<void> {
      if (count >= n) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`received ${count} of ${n} messages in ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiter = {
          n,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        };
      });
    },
  };
}

/** Sends `n` stamped messages round-robin over explicit partitions; returns the receipts' partitions. */
export async function produce(driver: Driver, topic: string, n: number, partitions: number, producerId = 1) {
  const producer = driver.createProducer({ acks: -1 });
  const out: number[] = [];
  for (let i = 0; i < n; i += 100) {
    const chunk = Array.from({ length: Math.min(100, n - i) }, (_, k) => ({
      value: Buffer.from(`m${i + k}`),
      headers: stamped(producerId, i + k),
      partition: (i + k) % partitions,
    }));
    const r = await producer.send(topic, chunk);
    out.push(...r.partitions);
  }
  await producer.close();
  return out;
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const totalLag = async (d: Driver, group: string, topic: string) =>
  (await d.admin.lag(group, topic)).reduce((a, l) => a + l.lag, 0);

const CRASH_CONSUMER = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  'fixtures',
  'crash-consumer.mjs',
);

export interface EngineContractOptions {
  /** The driver under test, made in the suite's beforeAll. */
  driver: () => Driver;
  name: string;
  /** A URL for a consumer process that takes few messages at a time. */
  slowConsumerUrl: () => string;
  /** A driver whose consumers take over a dead member's messages quickly. */
  quickTakeover: () => Driver;
}

/** Defines the shared tests in the calling describe block. */
export function engineContract(o: EngineContractOptions): void {
  const topic = (s: string) => `${o.name}-${s}`;

  it('creates topics (false when they exist), counts partitions, deletes', async () => {
    const d = o.driver();
    expect(await d.admin.createTopic(topic('t'), 3)).toBe(true);
    expect(await d.admin.createTopic(topic('t'), 3)).toBe(false);
    expect(await d.admin.partitionCount(topic('t'))).toBe(3);
    expect(await d.admin.partitionCount(topic('missing'))).toBeNull();
    await d.admin.deleteTopic(topic('t'));
    expect(await d.admin.partitionCount(topic('t'))).toBeNull();
  });

  it('delivers every message to a group in partition order, with stamps, keys and headers', async () => {
    const d = o.driver();
    const t = topic('order');
    await d.admin.createTopic(t, 3);
    const consumer = d.createConsumer({ topic: t, group: 'g-order', fromBeginning: true });
    const got = collector();
    await consumer.start(got.onBatch);
    const producer = d.createProducer({ acks: -1 });
    const explicit = await producer.send(
      t,
      Array.from({ length: 5 }, (_, i) => ({ value: `e${i}`, headers: stamped(1, i), partition: 2 })),
    );
    expect([...explicit.partitions]).toEqual([2, 2, 2, 2, 2]);
    const keyed = await producer.send(
      t,
      ['a', 'b', 'a', 'c'].map((k, i) => ({
        key: k,
        value: `k${i}`,
        headers: { note: 'x', ...stamped(2, i) },
      })),
    );
    expect(keyed.partitions[0]).toBe(keyed.partitions[2]);
    await producer.send(t, [{ value: 'plain' }, { value: 'plain' }, { value: 'plain' }]);
    await producer.close();
    await got.until(12);
    await consumer.close();
    const p2 = got.batches.filter((b) => b.partition === 2).flatMap((b) => b.messages);
    const fromOne = p2.filter((m) => decodeStamp(headerValue(m, STAMP_HEADER))?.producerId === 1);
    expect(fromOne.map(seqOf)).toEqual([0, 1, 2, 3, 4]);
    expect(Buffer.from(fromOne[4].value!).toString()).toBe('e4');
    const keyedIn = got
      .messages()
      .filter((m) => Buffer.from(headerValue(m, 'note') ?? []).toString() === 'x');
    expect(keyedIn.map((m) => Buffer.from(m.key!).toString()).sort()).toEqual(['a', 'a', 'b', 'c']);
    for (const m of got.messages()) expect(m.timestamp).toBeGreaterThan(Date.now() - 60_000);
    expect(got.count).toBe(12);
    await d.admin.deleteTopic(t);
  });

  it('reports lag, which commit() brings to zero; what was not committed comes back', async () => {
    const d = o.driver();
    const t = topic('lag');
    await d.admin.createTopic(t, 2);
    await produce(d, t, 40, 2);
    expect(await totalLag(d, 'g-lag', t)).toBe(40);
    const first = d.createConsumer({ topic: t, group: 'g-lag', fromBeginning: true, autoCommit: false });
    const a = collector();
    await first.start(a.onBatch);
    await a.until(40);
    await first.close();
    const quick = o.quickTakeover();
    const second = quick.createConsumer({ topic: t, group: 'g-lag', fromBeginning: true, autoCommit: false });
    const b = collector();
    await second.start(b.onBatch);
    await b.until(40);
    expect(new Set(b.seqs()).size).toBe(40);
    // A batch counts as handled once onBatch has returned: let the driver see that.
    await new Promise((r) => setImmediate(r));
    await second.commit();
    await waitFor('lag 0 after commit', async () => (await totalLag(d, 'g-lag', t)) === 0);
    await second.close();
    await d.admin.deleteTopic(t);
  });

  it('gives each group every message, and shares one group between its members', async () => {
    const d = o.driver();
    const t = topic('groups');
    await d.admin.createTopic(t, 4);
    const consumers: ConsumerDriver[] = [];
    const start = async (group: string) => {
      const c = d.createConsumer({ topic: t, group, fromBeginning: true });
      const got = collector();
      await c.start(got.onBatch);
      consumers.push(c);
      return got;
    };
    const solo = await start('g-solo');
    const shared = [await start('g-shared'), await start('g-shared')];
    await produce(d, t, 400, 4);
    await solo.until(400);
    await waitFor('the shared group to get 400', async () => shared[0].count + shared[1].count >= 400);
    for (const c of consumers) await c.close();
    expect(new Set(solo.seqs()).size).toBe(400);
    const all = [...shared[0].seqs(), ...shared[1].seqs()];
    expect(all).toHaveLength(400);
    expect(new Set(all).size).toBe(400);
    await d.admin.deleteTopic(t);
  });

  it('loses nothing when a consumer process is killed mid-stream: the group gets the rest', async () => {
    const d = o.driver();
    const t = topic('crash');
    await d.admin.createTopic(t, 2);
    const n = 600;
    await produce(d, t, n, 2);
    const child = execa('node', [CRASH_CONSUMER, o.name, o.slowConsumerUrl(), t, 'g-crash', '20'], {
      reject: false,
      buffer: false,
    });
    const handled = new Set<number>();
    let lines = '';
    const enough = new Promise<void>((resolve) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        lines += chunk.toString();
        const parts = lines.split('\n');
        lines = parts.pop()!;
        for (const l of parts) if (/^\d+$/.test(l)) handled.add(Number(l));
        if (handled.size >= n / 3) resolve();
      });
    });
    await enough;
    child.kill('SIGKILL');
    await child;
    expect(handled.size).toBeLessThan(n);
    const quick = o.quickTakeover();
    const successor = quick.createConsumer({ topic: t, group: 'g-crash', fromBeginning: true });
    const got = collector();
    await successor.start(got.onBatch);
    await waitFor(
      'the successor to get everything the dead consumer did not handle',
      async () => {
        const seen = new Set([...handled, ...got.seqs()]);
        return seen.size === n;
      },
      30_000,
    );
    await successor.close();
    await d.admin.deleteTopic(t);
  });
}

/**
 * `mq verify-loss` on a driver through the compiled CLI: 4,000 messages at 2,000/s with
 * `consumers` consumers, and `fault` (e.g. a consumer crash) if given. Checks what every engine
 * must give (exit 0, valid, all sent acknowledged and consumed, nothing lost, the final read at
 * the end, the fault injected) and returns the report for the engine's own checks.
 */
export async function verifyLossThroughCli(driverArgs: string[], consumers: number, fault: string[]) {
  const r = await mq(
    [
      ...['verify-loss', ...driverArgs, '--no-idempotence', '--messages', '4000', '--rate', '2000'],
      ...['--consumers', String(consumers), '--json', ...fault],
    ],
    { timeoutMs: 85_000 },
  );
  expect(r.exitCode, r.stderr).toBe(0);
  const report = JSON.parse(r.stdout);
  expect(report.valid).toBe(true);
  expect(report.counts).toMatchObject({ sent: 4000, acked: 4000, consumed: 4000 });
  expect(report.anomalies.lost + report.anomalies.consumerLost).toBe(0);
  expect(report.drain.reachedEnd).toBe(true);
  if (fault.length > 0)
    expect(report.faults.map((f: { kind: string }) => f.kind)).toContain('consumer-crash');
  return report;
}
