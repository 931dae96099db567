/**
 * Shared checks of the hardening suites: the broker's log lines (pino JSON on stderr), "is it
 * still alive and clean", and "does a well-behaved client still get served" (kafkajs admin
 * listTopics, then a produce and a fetch of the value it produced).
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { expect } from 'vitest';
import { isAlive } from '../../bench/hardening/proc.js';
import { WireClient } from '../../bench/hardening/wire-client.js';
import { fetch } from '../../bench/hardening/wire-ops.js';
import { decodeRecords } from '../../src/protocol/records.js';
import type { EmbeddedBroker } from '../../src/tools/embedded-broker.js';

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export const LEVEL = { debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;

/** The JSON log lines in a broker's stderr (other lines, e.g. a Node stack, are skipped). */
export function logLines(stderr: string): LogLine[] {
  const out: LogLine[] = [];
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as LogLine);
    } catch {
      // a line cut by the 64 KiB tail
    }
  }
  return out;
}

/** Log lines whose message contains `text`, at `level` or above. */
export function findLog(b: EmbeddedBroker, text: string, level: keyof typeof LEVEL = 'debug'): LogLine[] {
  return logLines(b.stderr).filter((l) => l.level >= LEVEL[level] && l.msg.includes(text));
}

/** Waits (bounded) until a log line with `text` shows up. */
export async function waitForLog(
  b: EmbeddedBroker,
  text: string,
  level: keyof typeof LEVEL = 'debug',
  timeoutMs = 5000,
): Promise<LogLine> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = findLog(b, text, level);
    if (found.length > 0) return found[0];
    if (Date.now() > deadline)
      throw new Error(`no log line "${text}" in ${timeoutMs} ms:\n${b.stderr.slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * What in a broker's stderr means it hit a bug: uncaught errors, unhandled rejections, Node
 * warnings, and a handler that threw anything but MalformedFrameError (logged as "request handler
 * failed").
 */
export function troubleIn(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) =>
      /uncaught|unhandled|\(node:\d+\)|RangeError|TypeError|FATAL ERROR|request handler failed/i.test(l),
    )
    .filter((l) => !OCLIF_DISCOVERY.test(l));
}

/**
 * oclif loads every command file to list them; one that fails to import is a warning of the CLI
 * start-up (the command's own suite catches it), not of the broker under test.
 */
const OCLIF_DISCOVERY = /\[MODULE_NOT_FOUND\] Warning: ModuleLoadError/;

/** The broker process is running and its stderr shows no crash, unhandled rejection or Node warning. */
export function expectAliveAndClean(b: EmbeddedBroker): void {
  expect(isAlive(b.pid), `broker process gone:\n${b.stderr.slice(-4000)}`).toBe(true);
  expect(troubleIn(b.stderr)).toEqual([]);
}

/**
 * A well-behaved client is served: kafkajs lists the topics, produces a fresh value to `topic`
 * (created if missing), and a fetch from the offset kafkajs got back returns that value.
 */
export async function expectServes(b: EmbeddedBroker, topic = 'well-behaved'): Promise<void> {
  const kafka = new Kafka({
    clientId: 'well-behaved',
    brokers: [b.bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 3 },
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = await admin.listTopics();
    if (!topics.includes(topic)) await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const value = randomUUID();
  let offset: number;
  try {
    const [meta] = await producer.send({ topic, acks: -1, messages: [{ value }] });
    offset = Number(meta.baseOffset);
  } finally {
    await producer.disconnect();
  }
  const c = await WireClient.connect(b.port);
  try {
    const res = await fetch(c, topic, [{ partition: 0, offset }]);
    const p = res.responses[0].partitions[0];
    expect(p.errorCode).toBe(0);
    const values = decodeRecords(p.records).flatMap((batch) =>
      batch.records.filter((r) => r.offset === offset).map((r) => r.value?.toString()),
    );
    expect(values).toEqual([value]);
  } finally {
    c.close();
  }
}
