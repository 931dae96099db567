/** Test helpers around the embedded broker child process. */
import { afterAll } from 'vitest';
import { EmbeddedBroker, type EmbeddedBrokerOptions } from '../../src/tools/embedded-broker.js';

const started = new Set<EmbeddedBroker>();

// Registered when a test file imports this module (collection time), so it also covers brokers
// started inside beforeAll or a test, where a hook registered then would never run.
afterAll(async () => {
  const brokers = [...started];
  started.clear();
  await Promise.all(brokers.map((b) => b.close()));
});

/** Starts a broker that is stopped (and its data dir removed) after the file's tests. */
export async function startBroker(opts: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const broker = await EmbeddedBroker.start(opts);
  started.add(broker);
  return broker;
}
