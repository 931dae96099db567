/**
 * Piscina entry point: one bench consumer, for the life of the run.
 *
 * End-to-end latency is receive time − the intended send time in the message's stamp; one
 * receive time is taken per delivered batch (its messages arrived together). Messages without a
 * stamp are counted, not measured.
 */

import { headerValue, type IncomingBatch, valueLength } from '../../drivers/driver.js';
import { createDriver } from '../../drivers/index.js';
import { nowMicros } from '../../metrics/clock.js';
import { initHistograms } from '../../metrics/histogram.js';
import { STAMP_HEADER, stampIntendedMicros } from '../stamp.js';
import type { ConsumerReport, ConsumerTask, WorkerCommand, WorkerEvent } from './messages.js';
import { SplitRecorder } from './split-recorder.js';

export default async function consumerWorker(task: ConsumerTask): Promise<ConsumerReport> {
  await initHistograms();
  const port = task.port;
  const post = (e: WorkerEvent) => port.postMessage(e);
  const driver = createDriver(task.driver.name, task.driver.options);
  const consumer = driver.createConsumer({ topic: task.topic, group: task.group, fromBeginning: true });
  const e2e = new SplitRecorder();
  let received = 0;
  let bytes = 0;
  let unstamped = 0;
  let lastError: string | undefined;
  let stop!: () => void;
  const stopped = new Promise<void>((r) => {
    stop = r;
  });

  const report = (): ConsumerReport => ({
    kind: 'consumer',
    received,
    bytes,
    unstamped,
    lastError,
    endToEnd: e2e.take(),
  });

  port.on('message', (cmd: WorkerCommand) => {
    if (cmd.type === 'measure-from') e2e.measureFromMicros = cmd.micros;
    else if (cmd.type === 'start' || cmd.type === 'rate') e2e.measureFromMicros = cmd.measureFromMicros;
    else if (cmd.type === 'report') post({ type: 'report', id: cmd.id, report: report() });
    else if (cmd.type === 'stop') stop();
  });

  const onBatch = (b: IncomingBatch) => {
    const now = nowMicros();
    const ms = b.messages;
    for (let i = 0; i < ms.length; i++) {
      const m = ms[i];
      const intended = stampIntendedMicros(headerValue(m, STAMP_HEADER));
      if (Number.isNaN(intended)) unstamped++;
      else e2e.record(intended, now - intended);
      bytes += valueLength(m);
    }
    received += ms.length;
  };

  try {
    await consumer.start(onBatch, (err) => {
      lastError = err.message;
    });
  } catch (err) {
    post({ type: 'failed', message: `consumer ${task.id} could not start: ${(err as Error).message}` });
    await consumer.close().catch(() => {});
    await driver.close().catch(() => {});
    port.close();
    throw err;
  }
  post({ type: 'ready' });
  await stopped;
  await consumer.close().catch(() => {});
  const final = report();
  e2e.destroy();
  await driver.close().catch(() => {});
  port.close();
  return final;
}
