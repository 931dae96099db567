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

/**
 * kcat's arguments for a balanced-consumer (-G) member that prints "partition value" lines,
 * starts at the earliest offset and has a 10 s session; `extra` adds -X settings.
 */
export function kcatMemberArgs(
  bootstrap: string,
  group: string,
  topic: string,
  extra: string[] = [],
): string[] {
  return [
    ...['-b', bootstrap, '-G', group, topic, '-q', '-u', '-f', '%p %s\n'],
    ...['-X', 'auto.offset.reset=earliest', '-X', 'session.timeout.ms=10000'],
    ...extra,
  ];
}
