/**
 * A broker process and raw protocol clients (bench/hardening/wire-client.ts) for one test at a
 * time: what start() and connect() made is closed after each test.
 */
import { afterEach } from 'vitest';
import { WireClient } from '../../bench/hardening/wire-client.js';
import { EmbeddedBroker, type EmbeddedBrokerOptions } from '../../src/tools/embedded-broker.js';

export function wireBroker() {
  let broker: EmbeddedBroker | undefined;
  const clients: WireClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await broker?.close();
    broker = undefined;
  });
  return {
    async start(opts: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
      broker = await EmbeddedBroker.start(opts);
      return broker;
    },
    /** A client of the broker started last. */
    async connect(): Promise<WireClient> {
      if (!broker) throw new Error('start a broker first');
      const c = await WireClient.connect(broker.port);
      clients.push(c);
      return c;
    },
  };
}
