/**
 * Idempotence against a lost ack: a proxy drops the first Produce response, the client times
 * out and retries the same batch. With idempotence the broker recognises the retry (same
 * producer id, epoch and sequence) and the log holds each message once; without it the log holds
 * the batch twice (negative control: the scenario really duplicates).
 */
import { execa } from 'execa';
import { Kafka, logLevel } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedBroker } from '../../src/tools/embedded-broker.js';
import { FaultProxy } from '../../src/tools/fault-proxy.js';
import { requireBinary } from '../support/binaries.js';

const kcat = requireBinary('kcat', 'apt-get install kcat');
const PRODUCE = 0;

describe.skipIf(!kcat)('idempotent producer through a response-dropping proxy', () => {
  let broker: EmbeddedBroker | undefined;
  let proxy: FaultProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    await broker?.close();
    broker = undefined;
    proxy = undefined;
  });

  async function run(idempotent: boolean): Promise<{ values: string[]; dropped: number }> {
    proxy = new FaultProxy({ upstreamPort: 0, dropResponse: (r) => r.apiKey === PRODUCE && r.nth === 1 });
    const proxyPort = await proxy.listen();
    broker = await EmbeddedBroker.start({
      flush: 'sync',
      extraArgs: ['--advertised-port', String(proxyPort)],
    });
    proxy.retarget(broker.port);
    const kafka = new Kafka({
      clientId: 'idem',
      brokers: [`127.0.0.1:${proxyPort}`],
      logLevel: logLevel.NOTHING,
      requestTimeout: 1500,
      retry: { retries: 5, initialRetryTime: 100 },
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'idem', numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer({ idempotent, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({
      topic: 'idem',
      acks: -1,
      messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}` })),
    });
    await producer.disconnect();
    const r = await execa(kcat!, ['-b', broker.bootstrap, '-t', 'idem', '-C', '-e', '-q', '-f', '%s\n'], {
      reject: false,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    return { values: r.stdout.split('\n').filter(Boolean), dropped: proxy.dropped.length };
  }

  it('with idempotence the retried batch is stored once', async () => {
    const { values, dropped } = await run(true);
    expect(dropped).toBe(1);
    expect(values).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
  });

  it('without idempotence the same fault stores the batch twice', async () => {
    const { values, dropped } = await run(false);
    expect(dropped).toBe(1);
    expect(values.length).toBe(20);
    expect(values.slice(10)).toEqual(values.slice(0, 10));
  });
});
