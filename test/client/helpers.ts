/** Small helpers for the client's integration suites. */
import type { Consumer, ConsumerRecord } from '../../src/client/index.js';

/** Polls `check` until it returns true, or fails after timeoutMs with `what`. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface Received {
  topic: string;
  partition: number;
  record: ConsumerRecord;
}

/** Reads batches until `count` records arrived (or fails after timeoutMs); stops the loop after. */
export async function collect(consumer: Consumer, count: number, timeoutMs = 20_000): Promise<Received[]> {
  const out: Received[] = [];
  const timer = setTimeout(() => {
    void consumer.close();
  }, timeoutMs);
  try {
    for await (const b of consumer.batches()) {
      for (const record of b.records) out.push({ topic: b.topic, partition: b.partition, record });
      if (out.length >= count) break;
    }
  } finally {
    clearTimeout(timer);
  }
  if (out.length < count) throw new Error(`received ${out.length} of ${count} records`);
  return out;
}

/** Groups by partition, keeping arrival order. */
export function byPartition<T extends { partition: number }>(items: readonly T[]): Map<number, T[]> {
  const m = new Map<number, T[]>();
  for (const i of items) {
    const list = m.get(i.partition) ?? [];
    list.push(i);
    m.set(i.partition, list);
  }
  return m;
}
