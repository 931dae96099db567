/**
 * What survives a stop, a restart and a kill -9, per flush policy — read back by kcat.
 *
 * - SIGTERM + restart: everything readable, offsets continue.
 * - kill -9 under `sync`: every message kafkajs saw acknowledged (acks=-1) is there.
 * - kill -9 under `async:2000`: acknowledged messages are gone (the mode is as lossy as documented).
 */
import { execa } from 'execa';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedBroker } from '../../src/tools/embedded-broker.js';
import { requireBinary } from '../support/binaries.js';

const kcat = requireBinary('kcat', 'apt-get install kcat');

async function readAll(
  bootstrap: string,
  topic: string,
): Promise<{ partition: number; offset: number; value: string }[]> {
  const r = await execa(kcat!, ['-b', bootstrap, '-t', topic, '-C', '-e', '-q', '-f', '%p\t%o\t%s\n'], {
    reject: false,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.exitCode !== 0) throw new Error(`kcat failed: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [p, o, v] = l.split('\t');
      return { partition: Number(p), offset: Number(o), value: v };
    });
}

function client(b: EmbeddedBroker): Kafka {
  return new Kafka({
    clientId: 'durability',
    brokers: [b.bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  });
}

/** Sends batches of 20 with acks=-1 until stopped; returns the values acknowledged. */
function produceUntilStopped(
  producer: Producer,
  topic: string,
): { acked: string[]; stop: () => Promise<void>; ackedCount: () => number } {
  const acked: string[] = [];
  let running = true;
  const loop = (async () => {
    let seq = 0;
    while (running) {
      const values = Array.from({ length: 20 }, () => `m-${seq++}`);
      try {
        await producer.send({ topic, acks: -1, messages: values.map((value) => ({ value })) });
        acked.push(...values);
      } catch {
        return; // the broker is gone: nothing after this is acknowledged
      }
    }
  })();
  return {
    acked,
    ackedCount: () => acked.length,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

async function waitFor(cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe.skipIf(!kcat)('durability across stop, restart and kill -9', () => {
  let broker: EmbeddedBroker | undefined;
  afterEach(async () => {
    await broker?.close();
    broker = undefined;
  });

  it('SIGTERM then restart: everything readable, offsets continue', async () => {
    broker = await EmbeddedBroker.start({ flush: 'sync', defaultPartitions: 2 });
    const producer = client(broker).producer();
    await producer.connect();
    await producer.send({
      topic: 'restart',
      messages: Array.from({ length: 500 }, (_, i) => ({ value: `a-${i}`, partition: i % 2 })),
    });
    await producer.disconnect();
    expect(await broker.stop()).toBe(0);
    expect(broker.stderr).not.toContain('"level":50');

    await broker.restart();
    expect((await readAll(broker.bootstrap, 'restart')).length).toBe(500);
    const p2 = client(broker).producer();
    await p2.connect();
    const [meta] = await p2.send({ topic: 'restart', messages: [{ value: 'after', partition: 0 }] });
    await p2.disconnect();
    expect(meta.baseOffset).toBe('250');
    const all = await readAll(broker.bootstrap, 'restart');
    expect(all.length).toBe(501);
    expect(all.find((m) => m.value === 'after')).toMatchObject({ partition: 0, offset: 250 });
  });

  it('kill -9 under flush sync loses no acknowledged message', async () => {
    broker = await EmbeddedBroker.start({ flush: 'sync' });
    const producer = client(broker).producer();
    await producer.connect();
    const run = produceUntilStopped(producer, 'crash-sync');
    await waitFor(() => run.ackedCount() >= 2000);
    await broker.kill();
    await run.stop();
    await producer.disconnect().catch(() => {});

    await broker.restart();
    const stored = new Set((await readAll(broker.bootstrap, 'crash-sync')).map((m) => m.value));
    const lost = run.acked.filter((v) => !stored.has(v));
    expect(run.acked.length).toBeGreaterThanOrEqual(2000);
    expect(lost).toEqual([]);
  });

  it('kill -9 under flush async:2000 loses acknowledged messages, as documented', async () => {
    broker = await EmbeddedBroker.start({ flush: 'async:2000' });
    const producer = client(broker).producer();
    await producer.connect();
    const run = produceUntilStopped(producer, 'crash-async');
    await waitFor(() => run.ackedCount() >= 200);
    await broker.kill();
    await run.stop();
    await producer.disconnect().catch(() => {});

    await broker.restart();
    const stored = new Set((await readAll(broker.bootstrap, 'crash-async')).map((m) => m.value));
    const lost = run.acked.filter((v) => !stored.has(v));
    // Everything acknowledged since the last timed flush (at most 2 s of it) is gone.
    expect(lost.length).toBeGreaterThan(0);
    // What survived is a prefix: loss is the tail held in memory, never a hole.
    const survived = run.acked.filter((v) => stored.has(v));
    expect(run.acked.slice(0, survived.length)).toEqual(survived);
  });
});
