/**
 * Piscina entry point: one bench producer, for the life of the run.
 *
 * It sends on the intended schedule (schedule.ts): every message whose intended time has come is
 * sent, in chunks of at most `maxChunk` per send() and `maxPending` unsettled, however late — a
 * stall becomes latency, never fewer messages. Each message is stamped (tools/stamp.ts) with the
 * producer id, its sequence number and its intended send time. Publish delay (actual − intended)
 * is recorded when a chunk is sent, publish latency (ack − intended) when it is acknowledged.
 * Without a rate, a message is intended when it is sent and publish delay is not recorded.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { OutgoingMessage } from '../../drivers/driver.js';
import { createDriver } from '../../drivers/index.js';
import { nowMicros } from '../../metrics/clock.js';
import { initHistograms } from '../../metrics/histogram.js';
import { STAMP_HEADER, stampRun } from '../stamp.js';
import type { ProducerReport, ProducerTask, WorkerCommand, WorkerEvent } from './messages.js';
import { IntendedSchedule } from './schedule.js';
import { SplitRecorder } from './split-recorder.js';

const KEY_POOL = 10_000;

export default async function producerWorker(task: ProducerTask): Promise<ProducerReport> {
  await initHistograms();
  const port = task.port;
  const post = (e: WorkerEvent) => port.postMessage(e);
  const payload = task.payloadFile ? await readFile(task.payloadFile) : randomBytes(task.messageSize);
  const nextKey = keySource(task);
  const driver = createDriver(task.driver.name, task.driver.options);
  const producer = driver.createProducer(task.settings);
  const latency = new SplitRecorder();
  const delay = new SplitRecorder();
  let sent = 0;
  let acked = 0;
  let errors = 0;
  let bytes = 0;
  let pending = 0;
  let lastError: string | undefined;
  let partitionCursor = task.id % task.partitions;
  let schedule: IntendedSchedule | null = null;
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
  let started!: () => void;
  const start = new Promise<void>((r) => {
    started = r;
  });

  const report = (): ProducerReport => ({
    kind: 'producer',
    sent,
    acked,
    errors,
    bytes,
    lastError,
    publishLatency: latency.take(),
    publishDelay: delay.take(),
  });

  port.on('message', (cmd: WorkerCommand) => {
    switch (cmd.type) {
      case 'start':
        schedule = new IntendedSchedule(cmd.rate, cmd.atMicros);
        latency.measureFromMicros = delay.measureFromMicros = cmd.measureFromMicros;
        started();
        break;
      case 'rate':
        schedule?.setRate(cmd.rate, nowMicros());
        latency.measureFromMicros = delay.measureFromMicros = cmd.measureFromMicros;
        wakeUp();
        break;
      case 'measure-from':
        latency.measureFromMicros = delay.measureFromMicros = cmd.micros;
        break;
      case 'report':
        post({ type: 'report', id: cmd.id, report: report() });
        break;
      case 'stop':
        stopping = true;
        started();
        wakeUp();
        break;
    }
  });

  const sendChunk = (s: IntendedSchedule, n: number, now: number) => {
    const first = s.take(n);
    const throttled = s.rate !== null;
    const base = throttled ? s.intendedAt(first) : now;
    const step = throttled ? 1e6 / s.rate! : 0;
    const stamps = stampRun(task.id, first, n, (k) => base + k * step);
    const partition = task.keyDistributor === 'NO_KEY' ? partitionCursor++ % task.partitions : undefined;
    const messages = new Array<OutgoingMessage>(n);
    for (let k = 0; k < n; k++) {
      messages[k] = { key: nextKey(), value: payload, headers: { [STAMP_HEADER]: stamps[k] }, partition };
      if (throttled) delay.record(base + k * step, now - (base + k * step));
    }
    sent += n;
    pending += n;
    producer
      .send(task.topic, messages)
      .then(
        () => {
          const ack = nowMicros();
          for (let k = 0; k < n; k++) latency.record(base + k * step, ack - (base + k * step));
          acked += n;
          bytes += n * payload.length;
        },
        (err: Error) => {
          errors += n;
          lastError = err.message;
        },
      )
      .finally(() => {
        pending -= n;
        if (pending < task.maxPending) wakeUp();
      });
  };

  try {
    await producer.connect();
  } catch (err) {
    post({ type: 'failed', message: `producer ${task.id} could not connect: ${(err as Error).message}` });
    await driver.close().catch(() => {});
    port.close();
    throw err;
  }
  post({ type: 'ready' });
  await start;

  while (!stopping) {
    const s = schedule!;
    const now = nowMicros();
    const due = s.due(now);
    if (due === 0) {
      await pause(Math.max(1, Math.floor(s.waitMicros(now) / 1000)));
      continue;
    }
    const room = task.maxPending - pending;
    if (room <= 0) {
      await pause(null);
      continue;
    }
    sendChunk(s, Math.min(due, room, task.maxChunk), now);
    await yieldToLoop();
  }
  while (pending > 0) await pause(null);
  const final = report();
  latency.destroy();
  delay.destroy();
  await producer.close().catch(() => {});
  await driver.close().catch(() => {});
  port.close();
  return final;
}

/** Message keys per OMB's key distributors. */
function keySource(task: ProducerTask): () => Buffer | null {
  switch (task.keyDistributor) {
    case 'NO_KEY':
      return () => null;
    case 'KEY_ROUND_ROBIN': {
      const keys = Array.from({ length: KEY_POOL }, (_, i) => Buffer.from(String(i)));
      let i = 0;
      return () => keys[i++ % KEY_POOL];
    }
    case 'RANDOM_NANO':
      return () => Buffer.from(String(Math.floor(Math.random() * Number.MAX_SAFE_INTEGER)));
  }
}
