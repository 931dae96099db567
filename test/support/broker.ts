/** Test helpers around the embedded broker child process. */
import { afterAll } from 'vitest';
import { EmbeddedBroker, type EmbeddedBrokerOptions } from '../../src/tools/embedded-broker.js';

/** Starts a broker for the test file and stops it (removing its data dir) after all tests. */
export async function startBroker(opts: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const broker = await EmbeddedBroker.start(opts);
  afterAll(async () => {
    await broker.close();
  });
  return broker;
}
