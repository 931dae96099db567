/**
 * What a drain consumer does with each fetched batch: rate limit, simulated work, the user's
 * handler with retries, dead-lettering, and the measurements (time in queue, processing time,
 * which offsets were handled).
 *
 * Invariants:
 * - process() resolves only when every message of the batch was handled: processed, or after
 *   max retries sent to the DLQ and acknowledged there, or counted as failed. The consumer counts
 *   the batch as consumed (and may commit past it) only then — commit after processing.
 * - When asked to stop, it throws `DrainStopped` between chunks: the batch is then not counted
 *   as consumed and will be delivered again (at least once; its handled part shows as repeats).
 * - Time in queue is now − the record's timestamp (the original one for fanned-out messages),
 *   taken when processing of the message starts; processing time is the simulated work plus the
 *   handler's time (per batch handler: the batch's time, for each of its messages).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  headerValue,
  type IncomingBatch,
  type IncomingMessage,
  type OutgoingMessage,
  valueLength,
} from '../../drivers/driver.js';
import { nowMicros } from '../../metrics/clock.js';
import {
  createLatencyHistogram,
  type Histogram,
  recordMicros,
  recordMicrosWithCount,
} from '../../metrics/histogram.js';
import { decodeStamp, STAMP_HEADER } from '../stamp.js';
import { OffsetRuns } from './coverage.js';
import type { HandlerMessage, LoadedHandler } from './handler.js';
import { originOf } from './origin.js';
import type { SharedTokenBucket } from './token-bucket.js';

export interface ProcessingSpec {
  /** Simulated cost per message, µs (0 = none). */
  workMicros: number;
  /** Absolute path of the handler module, or null. */
  handlerFile: string | null;
  maxRetries: number;
  retryBackoffMs: number;
  /** Dead-letter topic, or null: messages that exhaust their retries are then counted as failed. */
  dlqTopic: string | null;
}

/**
 * Messages handled, for an external checker (verify-loss's history `read` events): per original
 * partition, flattened (offset, producer, sequence) triples from the load tools' stamp (−1, −1
 * without one), in the order they were handled.
 */
export interface ReadTrace {
  partition: number;
  records: number[];
}

/** What the processor needs of a producer for dead letters. */
export interface DeadLetterSink {
  send(topic: string, messages: readonly OutgoingMessage[]): Promise<unknown>;
}

export interface ProcessorOptions {
  spec: ProcessingSpec;
  handler: LoadedHandler | null;
  bucket: SharedTokenBucket | null;
  dlq: DeadLetterSink | null;
  worker: number;
  /** Messages come from the fan-out topic of `sourceTopic`: account for their origin. */
  fannedOut: boolean;
  sourceTopic: string;
  isStopping: () => boolean;
  /** Keep a ReadTrace of every handled message (for tests and drills that check the drain). */
  traceReads?: boolean;
}

/** Thrown out of process() when the drain is stopping: the batch is left to be redelivered. */
export class DrainStopped extends Error {
  override name = 'DrainStopped';
}

/** Simulated work is slept in steps of at least this much (timers are ms-grained). */
const MIN_SLEEP_MICROS = 1000;
/** Simulated work not done while the consumer waited may be caught up by at most this much. */
const WORK_SLACK_MICROS = 2000;

export class BatchProcessor {
  processed = 0;
  bytes = 0;
  failed = 0;
  retried = 0;
  deadLettered = 0;
  /** When the first and the latest message were handled (µs), 0 before any. */
  firstAtMicros = 0;
  lastAtMicros = 0;
  lastError: string | undefined;
  readonly runs = new OffsetRuns();
  readonly timeInQueue: Histogram = createLatencyHistogram();
  readonly processing: Histogram = createLatencyHistogram();
  private due = 0;
  private traces: ReadTrace[] = [];

  constructor(private readonly o: ProcessorOptions) {}

  async process(batch: IncomingBatch): Promise<void> {
    const o = this.o;
    if (!o.handler && o.spec.workMicros === 0 && !o.fannedOut && !o.traceReads)
      return this.processPlain(batch);
    const ms = batch.messages;
    const view = ms.map((m) => this.handlerView(batch, m));
    const chunk = this.chunkSize(ms.length);
    const dead: OutgoingMessage[] = [];
    const batchMode = this.o.handler?.mode === 'batch';
    for (let i = 0; i < ms.length; i += chunk) {
      const end = Math.min(ms.length, i + chunk);
      await this.beginChunk(end - i);
      this.recordTimeInQueue(view, i, end);
      if (batchMode) continue;
      for (let k = i; k < end; k++) {
        const started = nowMicros();
        if (this.o.spec.workMicros > 0) await this.work();
        const ok = this.o.handler
          ? await this.attempt((attempt) => this.callMessage(view[k], attempt))
          : true;
        this.done(view[k], ms[k], ok, dead);
        recordMicros(this.processing, nowMicros() - started);
      }
    }
    if (batchMode) {
      const started = nowMicros();
      if (this.o.spec.workMicros > 0) for (let k = 0; k < ms.length; k++) await this.work();
      const ok = await this.attempt((attempt) => this.callBatch(view, attempt));
      for (let k = 0; k < ms.length; k++) this.done(view[k], ms[k], ok, dead);
      recordMicrosWithCount(this.processing, nowMicros() - started, ms.length);
    }
    if (dead.length > 0) {
      await this.o.dlq!.send(this.o.spec.dlqTopic!, dead);
      this.deadLettered += dead.length;
    }
  }

  /** The traces since the last call. */
  takeTraces(): ReadTrace[] {
    const t = this.traces;
    this.traces = [];
    return t;
  }

  /**
   * Nothing to do per message (no work, no handler): the hot path of a plain drain. Measures per
   * chunk — time in queue per run of equal timestamps, processing time as the chunk's average —
   * and records handled offsets as one run when the chunk's offsets are consecutive.
   */
  private async processPlain(batch: IncomingBatch): Promise<void> {
    const ms = batch.messages;
    const chunk = this.chunkSize(ms.length);
    for (let i = 0; i < ms.length; i += chunk) {
      const end = Math.min(ms.length, i + chunk);
      await this.beginChunk(end - i);
      const started = nowMicros();
      this.recordTimeInQueue(ms, i, end, started);
      let bytes = 0;
      for (let j = i; j < end; j++) bytes += valueLength(ms[j]);
      if (ms[end - 1].offset - ms[i].offset === end - 1 - i)
        this.runs.addRange(batch.partition, ms[i].offset, ms[end - 1].offset + 1);
      else for (let j = i; j < end; j++) this.runs.add(batch.partition, ms[j].offset);
      this.processed += end - i;
      this.handledAt(started);
      this.bytes += bytes;
      recordMicrosWithCount(this.processing, (nowMicros() - started) / (end - i), end - i);
    }
  }

  destroy(): void {
    this.timeInQueue.destroy();
    this.processing.destroy();
  }

  /** Before each chunk: stop if asked, and wait for the rate limit's tokens for `n` messages. */
  private async beginChunk(n: number): Promise<void> {
    if (this.o.isStopping()) throw new DrainStopped('stopping');
    const wait = this.o.bucket?.reserve(n) ?? 0;
    if (wait > 0) await sleep(wait);
  }

  /** Messages per rate-limit reservation and stop check. */
  private chunkSize(n: number): number {
    let c = n;
    if (this.o.bucket) c = Math.min(c, this.o.bucket.tokensPer(10));
    if (this.o.spec.workMicros > 0)
      c = Math.min(c, Math.max(1, Math.floor(100_000 / this.o.spec.workMicros)));
    if (this.o.handler) c = Math.min(c, 500);
    return Math.max(1, c);
  }

  private handlerView(batch: IncomingBatch, m: IncomingMessage): HandlerMessage {
    const origin = this.o.fannedOut ? originOf(m) : null;
    return {
      topic: origin ? this.o.sourceTopic : batch.topic,
      partition: origin?.partition ?? batch.partition,
      offset: origin?.offset ?? m.offset,
      timestamp: origin?.timestamp ?? m.timestamp,
      key: m.key,
      value: m.value,
      headers: m.headers,
    };
  }

  /** One clock read per chunk; consecutive equal timestamps (one produce batch) in one record. */
  private recordTimeInQueue(
    ms: readonly { timestamp: number }[],
    from: number,
    to: number,
    now = nowMicros(),
  ): void {
    let k = from;
    while (k < to) {
      const ts = ms[k].timestamp;
      let j = k + 1;
      while (j < to && ms[j].timestamp === ts) j++;
      recordMicrosWithCount(this.timeInQueue, now - ts * 1000, j - k);
      k = j;
    }
  }

  private done(v: HandlerMessage, m: IncomingMessage, ok: boolean, dead: OutgoingMessage[]): void {
    this.runs.add(v.partition, v.offset);
    this.handledAt(nowMicros());
    if (this.o.traceReads) this.trace(v.partition, v.offset, m);
    if (ok) {
      this.processed++;
      this.bytes += valueLength(m);
    } else if (this.o.dlq && this.o.spec.dlqTopic) {
      dead.push(deadLetter(v, m, this.lastError ?? 'failed', this.o.spec.maxRetries + 1));
    } else {
      this.failed++;
    }
  }

  private handledAt(micros: number): void {
    if (this.firstAtMicros === 0) this.firstAtMicros = micros;
    this.lastAtMicros = micros;
  }

  private trace(partition: number, offset: number, m: IncomingMessage): void {
    let t = this.traces.at(-1);
    if (!t || t.partition !== partition) {
      t = { partition, records: [] };
      this.traces.push(t);
    }
    const stamp = decodeStamp(headerValue(m, STAMP_HEADER));
    t.records.push(offset, stamp ? stamp.producerId : -1, stamp ? stamp.sequence : -1);
  }

  /** Runs `call` until it succeeds or has failed 1 + maxRetries times. */
  private async attempt(call: (attempt: number) => unknown): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        await call(attempt);
        return true;
      } catch (err) {
        this.lastError = err instanceof Error ? err.message : String(err);
        if (attempt >= this.o.spec.maxRetries) return false;
        this.retried++;
        if (this.o.spec.retryBackoffMs > 0) await sleep(this.o.spec.retryBackoffMs);
      }
    }
  }

  private callMessage(m: HandlerMessage, attempt: number): unknown {
    const h = this.o.handler as Extract<LoadedHandler, { mode: 'message' }>;
    return h.fn(m, { attempt, worker: this.o.worker });
  }

  private callBatch(ms: readonly HandlerMessage[], attempt: number): unknown {
    const h = this.o.handler as Extract<LoadedHandler, { mode: 'batch' }>;
    return h.fn(ms, { attempt, worker: this.o.worker });
  }

  /** Simulated cost of one message: sleeps in ms steps, paced so the average is exact. */
  private async work(): Promise<void> {
    const now = nowMicros();
    this.due = Math.max(this.due, now - WORK_SLACK_MICROS) + this.o.spec.workMicros;
    const ahead = this.due - now;
    if (ahead >= MIN_SLEEP_MICROS) await sleep(ahead / 1000);
  }
}

/** The dead letter: the original key, value and headers, plus where it came from and why. */
function deadLetter(v: HandlerMessage, m: IncomingMessage, error: string, attempts: number): OutgoingMessage {
  const headers: Record<string, Uint8Array | string> = {};
  for (const h of m.headers) if (h.value !== null && !(h.key in headers)) headers[h.key] = h.value;
  headers['mq-dlq-topic'] = v.topic;
  headers['mq-dlq-partition'] = String(v.partition);
  headers['mq-dlq-offset'] = String(v.offset);
  headers['mq-dlq-timestamp'] = String(v.timestamp);
  headers['mq-dlq-attempts'] = String(attempts);
  headers['mq-dlq-error'] = error.slice(0, 1000);
  return { key: m.key, value: m.value, headers };
}
