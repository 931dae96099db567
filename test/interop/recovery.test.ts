/**
 * A segment whose tail was truncated or bit-flipped while the broker was down is recovered to
 * its last valid batch: the broker starts, logs what it cut, serves only valid batches (kcat
 * reads them) and appends continue at the right offset.
 */
import { closeSync, ftruncateSync, openSync, readFileSync, readSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { Kafka, logLevel } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedBroker } from '../../src/tools/embedded-broker.js';
import { requireBinary } from '../support/binaries.js';

const kcat = requireBinary('kcat', 'apt-get install kcat');

async function produce(b: EmbeddedBroker, topic: string, batches: number): Promise<void> {
  const producer = new Kafka({
    clientId: 'recovery',
    brokers: [b.bootstrap],
    logLevel: logLevel.NOTHING,
  }).producer();
  await producer.connect();
  for (let i = 0; i < batches; i++) {
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: 10 }, (_, j) => ({ value: `b${i}-m${j}` })),
    });
  }
  await producer.disconnect();
}

async function readValues(b: EmbeddedBroker, topic: string): Promise<string[]> {
  const r = await execa(kcat!, ['-b', b.bootstrap, '-t', topic, '-C', '-e', '-q', '-f', '%o %s\n'], {
    reject: false,
  });
  if (r.exitCode !== 0) throw new Error(r.stderr);
  return r.stdout.split('\n').filter(Boolean);
}

function segmentFile(b: EmbeddedBroker, topic: string): string {
  return path.join(b.dataDir, 'topics', `${topic}-0`, '00000000000000000000.log');
}

describe.skipIf(!kcat)('recovery of a damaged active segment', () => {
  let broker: EmbeddedBroker | undefined;
  afterEach(async () => {
    await broker?.close();
    broker = undefined;
  });

  it('cuts a truncated tail back to the last whole batch', async () => {
    broker = await EmbeddedBroker.start({ flush: 'sync', logLevel: 'info' });
    await produce(broker, 'trunc', 5);
    await broker.kill();
    const file = segmentFile(broker, 'trunc');
    ftruncateSync(openSync(file, 'r+'), statSync(file).size - 7); // the last batch loses its end
    await broker.restart();
    const values = await readValues(broker, 'trunc');
    expect(values.length).toBe(40);
    expect(values.at(-1)).toBe('39 b3-m9');
    expect(broker.stderr).toMatch(/truncat|cut/i);
    await produce(broker, 'trunc', 1);
    expect((await readValues(broker, 'trunc')).at(-1)).toBe('49 b0-m9');
  });

  it('cuts at a bit-flipped batch and never serves it', async () => {
    broker = await EmbeddedBroker.start({ flush: 'sync', logLevel: 'info' });
    await produce(broker, 'flip', 5);
    await broker.kill();
    const file = segmentFile(broker, 'flip');
    // Flip one bit in the records of the fourth batch (batches are equal in size here).
    const size = statSync(file).size;
    const batchSize = size / 5;
    const fd = openSync(file, 'r+');
    const pos = Math.floor(3 * batchSize + batchSize - 3);
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, pos);
    b[0] ^= 0x10;
    writeSync(fd, b, 0, 1, pos);
    closeSync(fd);
    await broker.restart();
    const values = await readValues(broker, 'flip');
    expect(values.length).toBe(30);
    expect(values.every((v) => !v.includes('b3-') && !v.includes('b4-'))).toBe(true);
    expect(readFileSync(file).length).toBe(3 * batchSize);
  });
});
