/**
 * Piscina entry point: one verify-loss producer. It sends `count` stamped messages (stamping.ts)
 * on bench's intended schedule (bench/schedule.ts) — or as fast as acknowledgements allow — and
 * every send goes to the history through the stamping wrapper. Send errors are recorded and the
 * producer goes on: under a broker fault the point is to see what becomes of each message.
 *
 * Unkeyed, each send() goes to one explicit partition, round-robin. Keyed, each send() takes its
 * keys from those that Kafka's partitioner maps to one partition (round-robin over partitions),
 * so a send is still one partition run and keys cycle through all `keys` values.
 */
import { randomBytes } from 'node:crypto';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { OutgoingMessage } from '../../drivers/driver.js';
import { createDriver } from '../../drivers/index.js';
import { nowMicros } from '../../metrics/clock.js';
import { partitionForKey } from '../../protocol/murmur2.js';
import { IntendedSchedule } from '../bench/schedule.js';
import { Outbox } from './outbox.js';
import { StampingProducer } from './stamping.js';
import type { ProducerTask, WorkerCommand, WorkerSummary } from './worker-messages.js';

export default async function producerWorker(task: ProducerTask): Promise<WorkerSummary> {
  const outbox = new Outbox(task.port);
  const driver = createDriver(task.driver.name, task.driver.options);
  const producer = new StampingProducer(driver.createProducer(task.settings), {
    producerId: task.id,
    sink: outbox,
    clock: () => Date.now() - task.runStartMs,
  });
  const payload = randomBytes(task.messageSize);
  const keys = keyRing(task.keys, task.partitions);
  const summary: WorkerSummary = { sent: 0, acked: 0, errors: 0 };
  let pending = 0;
  let stopping = false;
  let wake: (() => void) | null = null;
  let timer: NodeJS.Timeout | null = null;
  const wakeUp = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    const w = wake;
    wake = null;
    w?.();
  };
  const pause = (ms: number | null) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      if (ms !== null) timer = setTimeout(wakeUp, ms);
    });
  task.port.on('message', (cmd: WorkerCommand) => {
    if (cmd.type === 'stop') {
      stopping = true;
      wakeUp();
    }
  });

  try {
    await producer.connect();
  } catch (err) {
    outbox.post({
      type: 'failed',
      message: `producer ${task.id} could not connect: ${(err as Error).message}`,
    });
    await driver.close().catch(() => {});
    task.port.close();
    throw err;
  }
  outbox.post({ type: 'ready' });

  const schedule = new IntendedSchedule(task.rate, nowMicros());
  let partitionCursor = task.id % task.partitions;
  while (!stopping && schedule.next < task.count) {
    const now = nowMicros();
    const due = Math.min(schedule.due(now), task.count - schedule.next);
    if (due === 0) {
      await pause(Math.max(1, Math.floor(schedule.waitMicros(now) / 1000)));
      continue;
    }
    const room = task.maxPending - pending;
    if (room <= 0) {
      await pause(null);
      continue;
    }
    const n = Math.min(due, room, task.maxChunk);
    const first = schedule.take(n);
    const throttled = schedule.rate !== null;
    const base = throttled ? schedule.intendedAt(first) : now;
    const step = throttled ? 1e6 / schedule.rate! : 0;
    const pt = keys ? keys.nextPartition() : partitionCursor++ % task.partitions;
    const messages: OutgoingMessage[] = new Array(n);
    for (let i = 0; i < n; i++) {
      messages[i] = keys
        ? { key: keys.next(pt), value: payload }
        : { key: null, value: payload, partition: pt };
    }
    summary.sent += n;
    pending += n;
    producer
      .send(task.topic, messages, (i) => base + i * step)
      .then(
        () => {
          summary.acked += n;
        },
        (err: Error) => {
          summary.errors += n;
          summary.lastError = err.message;
        },
      )
      .finally(() => {
        pending -= n;
        wakeUp();
      });
    await yieldToLoop();
  }
  while (pending > 0) await pause(null);
  outbox.flush();
  await producer.close().catch(() => {});
  await driver.close().catch(() => {});
  outbox.flush();
  outbox.post({ type: 'finished' });
  return summary;
}

/** Keys grouped by the partition Kafka's murmur2 partitioner gives them. */
function keyRing(count: number, partitions: number) {
  if (count <= 0) return null;
  const byPartition: Buffer[][] = Array.from({ length: partitions }, () => []);
  for (let i = 0; i < count; i++) {
    const key = Buffer.from(`k${i}`);
    byPartition[partitionForKey(key, partitions)].push(key);
  }
  const usable = byPartition.map((ks, pt) => (ks.length > 0 ? pt : -1)).filter((pt) => pt >= 0);
  const cursors = new Array<number>(partitions).fill(0);
  let turn = 0;
  return {
    nextPartition: () => usable[turn++ % usable.length],
    next: (pt: number) => {
      const ks = byPartition[pt];
      return ks[cursors[pt]++ % ks.length];
    },
  };
}
