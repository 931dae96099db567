/**
 * Stamping: the interceptor every verify-loss producer goes through, and that a user can put
 * around their own producer.
 *
 * Each message gets the `mq-stamp` header (tools/stamp.ts: producer id, sequence number,
 * intended send time); the key is the message's own. Around every send, history events:
 * `send` BEFORE the message leaves (so a crash leaves it indeterminate), then `ok` with
 * partition and offsets, or `fail` (definitely not written) / `info` (may have been written).
 *
 *   const producer = withStamping(driver.createProducer(), { producerId: 7, sink: history });
 *   await producer.send(topic, messages); // same contract as the wrapped producer
 *
 * A producer that is not a driver uses `Stamper` directly: stamp(), then invoked(), then
 * acknowledged() / failed().
 */
import type { OutgoingMessage, ProducerDriver, SendReceipt } from '../../drivers/driver.js';
import { nowMicros } from '../../metrics/clock.js';
import { STAMP_HEADER, stampRun } from '../stamp.js';
import type { HistorySink } from './history-file.js';

export type FailureKind = 'fail' | 'info';

export interface StampingOptions {
  producerId: number;
  sink: HistorySink;
  /** Milliseconds since the run started (the history's `ts`); default: since this was made. */
  clock?: () => number;
  /** Whether a send error means "not written" or "don't know"; default classifySendError. */
  classify?: (err: Error) => FailureKind;
  /** First sequence number (default 0). */
  firstSequence?: number;
}

/** Errors that reject the records themselves, before or at the broker: nothing was written. */
const DEFINITE_CLIENT_CODES = new Set(['INVALID_ARGUMENT', 'UNSUPPORTED']);
// CORRUPT_MESSAGE, MESSAGE_TOO_LARGE, INVALID_TOPIC_EXCEPTION, RECORD_LIST_TOO_LARGE,
// TOPIC_AUTHORIZATION_FAILED, INVALID_RECORD: the same bytes are refused on every attempt.
const DEFINITE_BROKER_CODES = new Set([2, 10, 17, 18, 29, 87]);

/**
 * mq's client errors carry a code; anything that may have reached the broker (a timeout, a lost
 * connection, a retriable error after the last retry) is indeterminate, like Jepsen's :info.
 */
export function classifySendError(err: Error): FailureKind {
  const e = err as Error & { code?: unknown; errorCode?: unknown };
  if (typeof e.code === 'string' && DEFINITE_CLIENT_CODES.has(e.code)) return 'fail';
  if (e.code === 'BROKER_ERROR' && typeof e.errorCode === 'number' && DEFINITE_BROKER_CODES.has(e.errorCode))
    return 'fail';
  return 'info';
}

export class Stamper {
  private next: number;
  private readonly clock: () => number;
  readonly producerId: number;

  constructor(private readonly opts: StampingOptions) {
    this.producerId = opts.producerId;
    this.next = opts.firstSequence ?? 0;
    const start = Date.now();
    this.clock = opts.clock ?? (() => Date.now() - start);
  }

  /** Reserves `count` sequence numbers and returns their stamp header values and the first. */
  stamp(count: number, intendedMicros?: (i: number) => number): { first: number; stamps: Buffer[] } {
    const first = this.next;
    this.next += count;
    const now = nowMicros();
    return { first, stamps: stampRun(this.producerId, first, count, intendedMicros ?? (() => now)) };
  }

  /** Before the send: `pt` when every message goes to that partition. */
  invoked(first: number, count: number, pt?: number): void {
    this.opts.sink.write({
      t: 'send',
      ts: this.clock(),
      p: this.producerId,
      s: first,
      n: count,
      ...(pt === undefined ? {} : { pt }),
    });
  }

  /** Per message i (seq first + i): its partition and offset (-1 unknown). */
  acknowledged(first: number, partitions: ArrayLike<number>, offsets: ArrayLike<number>): void {
    const ts = this.clock();
    const n = partitions.length;
    let i = 0;
    while (i < n) {
      // One event per run of consecutive offsets in one partition.
      let j = i + 1;
      while (
        j < n &&
        partitions[j] === partitions[i] &&
        (offsets[i] < 0 ? offsets[j] < 0 : offsets[j] === offsets[i] + (j - i))
      )
        j++;
      this.opts.sink.write({
        t: 'ok',
        ts,
        p: this.producerId,
        s: first + i,
        n: j - i,
        pt: partitions[i],
        o: offsets[i] < 0 ? -1 : offsets[i],
      });
      i = j;
    }
  }

  failed(first: number, count: number, err: Error): FailureKind {
    const kind = (this.opts.classify ?? classifySendError)(err);
    this.opts.sink.write({
      t: kind,
      ts: this.clock(),
      p: this.producerId,
      s: first,
      n: count,
      e: err.message,
    });
    return kind;
  }
}

/** A ProducerDriver that stamps and records every message it sends through `inner`. */
export class StampingProducer implements ProducerDriver {
  readonly stamper: Stamper;

  constructor(
    private readonly inner: ProducerDriver,
    opts: StampingOptions,
  ) {
    this.stamper = new Stamper(opts);
  }

  connect(): Promise<void> {
    return this.inner.connect();
  }

  /**
   * Stamps, records `send`, sends; records the outcome and passes it on. `intendedMicros` gives
   * message i's intended send time (default: now).
   */
  async send(
    topic: string,
    messages: readonly OutgoingMessage[],
    intendedMicros?: (i: number) => number,
  ): Promise<SendReceipt> {
    const n = messages.length;
    const { first, stamps } = this.stamper.stamp(n, intendedMicros);
    const stamped = messages.map((m, i) => ({ ...m, headers: { ...m.headers, [STAMP_HEADER]: stamps[i] } }));
    const pt =
      n > 0 && messages.every((m) => m.partition === messages[0].partition)
        ? messages[0].partition
        : undefined;
    this.stamper.invoked(first, n, pt);
    let receipt: SendReceipt;
    try {
      receipt = await this.inner.send(topic, stamped);
    } catch (err) {
      this.stamper.failed(first, n, err as Error);
      throw err;
    }
    this.stamper.acknowledged(first, receipt.partitions, receipt.offsets);
    return receipt;
  }

  flush(): Promise<void> {
    return this.inner.flush();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

export function withStamping(inner: ProducerDriver, opts: StampingOptions): StampingProducer {
  return new StampingProducer(inner, opts);
}
