/**
 * Test data through mq's own client, the ground truth for CLI tests: messages sent in, and
 * everything a topic holds read back.
 */
import { Admin, Consumer, Producer } from '../../src/client/index.js';

export interface OutgoingMessage {
  key?: string | null;
  value: string;
  partition?: number;
}

/** Sends the messages (concurrently; per partition in the order given) and waits for every ack. */
export async function produceMessages(
  bootstrap: string,
  topic: string,
  messages: readonly OutgoingMessage[],
): Promise<void> {
  const producer = new Producer({ bootstrap });
  try {
    await Promise.all(messages.map((m) => producer.send({ topic, ...m })));
  } finally {
    await producer.close();
  }
}

/** n messages keyed key-<i> with values v<i> (or prefix<i>), spread over partitions by key. */
export function keyedMessages(n: number, prefix = 'v'): OutgoingMessage[] {
  return Array.from({ length: n }, (_, i) => ({ key: `key-${i}`, value: `${prefix}${i}` }));
}

export interface StoredMessage {
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string | null>;
}

/** Every message of every partition up to the log end at the time of the call, per partition in order. */
export async function readTopic(bootstrap: string, topic: string): Promise<StoredMessage[]> {
  const admin = new Admin({ bootstrap });
  const ends = await admin.listOffsets(topic, 'latest').finally(() => admin.close());
  const remaining = new Map(ends.filter((e) => e.offset > 0).map((e) => [e.partition, e.offset]));
  const out: StoredMessage[] = [];
  if (remaining.size === 0) return out;
  const consumer = new Consumer({ bootstrap });
  consumer.assign(ends.map((e) => ({ topic, partition: e.partition, offset: 'earliest' as const })));
  try {
    for await (const batch of consumer.batches()) {
      const end = remaining.get(batch.partition) ?? 0;
      for (const r of batch.records) {
        if (r.offset >= end) continue;
        out.push({
          partition: batch.partition,
          offset: r.offset,
          key: r.key?.toString() ?? null,
          value: r.value?.toString() ?? null,
          headers: Object.fromEntries(r.headers.map((h) => [h.key, h.value?.toString() ?? null])),
        });
      }
      if (batch.nextOffset >= end) remaining.delete(batch.partition);
      if (remaining.size === 0) break;
    }
  } finally {
    await consumer.close();
  }
  return out.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}
