/**
 * Helpers of the interop suites that drive clients we did not write: polling for a condition,
 * and a kafkajs client for an embedded broker.
 */
import { Kafka, logLevel } from 'kafkajs';
import type { EmbeddedBroker } from '../../src/tools/embedded-broker.js';

/** Polls `cond` every 50 ms; resolves with the time it took, throws after `timeoutMs`. */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<number> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - t0;
}

/** A quiet kafkajs client for `b` that retries ten times from 100 ms. */
export function kafkaFor(b: EmbeddedBroker, clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers: [b.bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 10, initialRetryTime: 100 },
  });
}
