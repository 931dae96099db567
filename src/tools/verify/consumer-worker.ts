/**
 * Piscina entry point: one verify-loss consumer of the group, for the life of the run or until
 * it is crashed on purpose.
 *
 * Per batch, in the order its mode prescribes:
 *   at-least-once: process (record `read`) → [crash point] → commit (record `commit`)
 *   at-most-once:  commit → [crash point] → process
 * Told to crash, it stops at the next crash point: it sends every event it has, says `crashing`
 * and waits to be killed (its thread terminated: no commit, no LeaveGroup, sockets dropped). In
 * inline mode (tests) the abort signal ends the wait and the consumer is abandoned instead.
 *
 * A commit that fails is recorded with ok:false (it may have been stored); at-most-once then
 * does not process the batch, since it might be processed again elsewhere.
 */
import type { IncomingBatch } from '../../drivers/driver.js';
import { Outbox } from './outbox.js';
import { readEvent } from './read-event.js';
import { createVerifyConsumer } from './verify-consumer.js';
import type { ConsumerTask, WorkerCommand, WorkerSummary } from './worker-messages.js';

export interface ConsumerWorkerOptions {
  /** Inline mode: aborting it stands in for terminating the thread. */
  signal?: AbortSignal;
}

class Crashed extends Error {
  override name = 'Crashed';
}

export default async function consumerWorker(
  task: ConsumerTask,
  opts: ConsumerWorkerOptions = {},
): Promise<WorkerSummary> {
  const outbox = new Outbox(task.port);
  const ts = () => Date.now() - task.runStartMs;
  const c = task.name;
  const consumer = createVerifyConsumer(task.driver, {
    topic: task.topic,
    group: task.group,
    sessionTimeoutMs: task.sessionTimeoutMs,
  });
  const summary: WorkerSummary = { sent: 0, acked: 0, errors: 0 };
  let crashArmed = false;
  let crashed = false;
  let stop!: () => void;
  const stopped = new Promise<void>((r) => {
    stop = r;
  });
  task.port.on('message', (cmd: WorkerCommand) => {
    if (cmd.type === 'crash') crashArmed = true;
    else if (cmd.type === 'stop') stop();
  });

  const crashPoint = async () => {
    if (!crashArmed) return;
    crashed = true;
    outbox.post({ type: 'crashing' });
    // Killed here. Inline, the abort ends the wait and the consumer is left as it is.
    await new Promise<void>((resolve) => opts.signal?.addEventListener('abort', () => resolve()));
    throw new Crashed(`${c} crashed`);
  };

  const commit = async (pt: number, o: number): Promise<boolean> => {
    try {
      if (await consumer.commit(pt, o)) outbox.write({ t: 'commit', ts: ts(), c, pt, o });
      return true;
    } catch (err) {
      outbox.write({ t: 'commit', ts: ts(), c, pt, o, ok: false, e: (err as Error).message });
      summary.errors++;
      summary.lastError = (err as Error).message;
      return false;
    } finally {
      outbox.flush();
    }
  };

  let claims = 0;
  const processBatch = (b: IncomingBatch) => {
    // Entries taken over from a dead member arrive outside offset order: each such batch is
    // recorded as a reader of its own, so it is checked for order within itself, and its
    // offsets count as redeliveries for the group, never as this consumer stepping back.
    const reader = b.claimed ? `${c}~claim${++claims}` : c;
    outbox.write(readEvent(reader, b.partition, b.messages, ts()));
    summary.acked += b.messages.length;
  };

  const onBatch = async (b: IncomingBatch) => {
    if (crashed) throw new Crashed(`${c} crashed`);
    const next = b.messages[b.messages.length - 1].offset + 1;
    if (task.mode === 'at-most-once') {
      if (!(await commit(b.partition, next))) return;
      await crashPoint();
      processBatch(b);
    } else {
      processBatch(b);
      await crashPoint();
      await commit(b.partition, next);
    }
  };

  try {
    await consumer.start({
      onBatch,
      onAssign: (pts) => outbox.post({ type: 'events', events: [{ t: 'assign', ts: ts(), c, pts }] }),
      onRevoke: (pts) => outbox.post({ type: 'events', events: [{ t: 'revoke', ts: ts(), c, pts }] }),
      onError: (err) => {
        if (err instanceof Crashed) return;
        summary.lastError = err.message;
        outbox.post({ type: 'failed', message: `consumer ${c} stopped: ${err.message}` });
      },
    });
  } catch (err) {
    outbox.post({ type: 'failed', message: `consumer ${c} could not start: ${(err as Error).message}` });
    await consumer.close().catch(() => {});
    task.port.close();
    throw err;
  }
  outbox.post({ type: 'ready' });
  await Promise.race([stopped, new Promise<void>((r) => opts.signal?.addEventListener('abort', () => r()))]);
  if (!opts.signal?.aborted) await consumer.close().catch(() => {});
  outbox.flush();
  outbox.post({ type: 'finished' });
  return summary;
}
