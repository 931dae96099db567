/**
 * A read probe: one consumer outside any group reads the topic from its start for a short while,
 * committing nothing. It tells the average payload size (to turn a lag in messages into bytes)
 * and how fast one consumer reads with no processing at all (the dry run's estimate).
 */
import type { Driver } from '../../drivers/driver.js';
import { nowMicros } from '../../metrics/clock.js';

export interface ProbeResult {
  messages: number;
  /** Payload bytes (key + value) read. */
  bytes: number;
  seconds: number;
  /** Messages per second one consumer read, null when it read nothing. */
  readRate: number | null;
  /** null when it read nothing. */
  bytesPerMessage: number | null;
}

export async function probeTopic(
  driver: Driver,
  topic: string,
  opts: { maxMs: number; maxMessages: number },
): Promise<ProbeResult> {
  const consumer = driver.createConsumer({ topic, fromBeginning: true, autoCommit: false });
  let messages = 0;
  let bytes = 0;
  let first = 0;
  let firstBatch = 0;
  let last = 0;
  let enough!: () => void;
  const done = new Promise<void>((r) => {
    enough = r;
  });
  const timer = setTimeout(enough, opts.maxMs);
  try {
    await consumer.start((b) => {
      if (messages === 0) {
        first = nowMicros();
        firstBatch = b.messages.length;
      }
      for (const m of b.messages) bytes += (m.value?.length ?? 0) + (m.key?.length ?? 0);
      messages += b.messages.length;
      last = nowMicros();
      if (messages >= opts.maxMessages) enough();
    });
    await done;
  } finally {
    clearTimeout(timer);
    await consumer.close().catch(() => {});
  }
  // From the first delivery on: joining and the first fetch's wait are not reading.
  const seconds = messages > 0 ? Math.max(last - first, 1) / 1e6 : 0;
  return {
    messages,
    bytes,
    seconds,
    readRate: last > first && messages > firstBatch ? (messages - firstBatch) / seconds : null,
    bytesPerMessage: messages > 0 ? bytes / messages : null,
  };
}
