/**
 * What the verify-loss runner and its worker threads say to each other over a MessagePort.
 *
 * Workers send their history events in order, in batches; the runner is the one writer of the
 * history file, so the file's order is the order in which batches arrived (each worker's own
 * events stay in its order). Before a consumer dies on purpose it sends everything it has and
 * then `crashing`; only then is its thread terminated, so nothing it did is missing from the
 * history.
 */
import type { MessagePort } from 'node:worker_threads';
import type { ProducerSettings } from '../../drivers/driver.js';
import type { DriverSpec } from '../../drivers/index.js';
import type { ConsumerMode, HistoryEvent } from './history.js';

export interface ProducerTask {
  id: number;
  driver: DriverSpec;
  topic: string;
  partitions: number;
  /** Messages to send. */
  count: number;
  /** msg/s for this producer; null = as fast as acknowledgements allow. */
  rate: number | null;
  /** Distinct keys (0 = unkeyed: explicit partitions, round-robin per send). */
  keys: number;
  settings: ProducerSettings;
  messageSize: number;
  /** Messages per send() call at most. */
  maxChunk: number;
  /** Messages sent and not yet settled at most. */
  maxPending: number;
  /** Date.now() at the start of the run: history times are relative to it. */
  runStartMs: number;
  port: MessagePort;
}

export interface ConsumerTask {
  /** Name in the history: c<i>, or c<i>.<n> for the n-th replacement after a crash. */
  name: string;
  driver: DriverSpec;
  topic: string;
  group: string;
  mode: ConsumerMode;
  /** Consumer group session timeout: how soon a crashed consumer's partitions move on. */
  sessionTimeoutMs: number;
  runStartMs: number;
  port: MessagePort;
}

export type WorkerCommand =
  /** Consumers: die at the next point between processing a batch and committing it. */
  { type: 'crash' } | { type: 'stop' };

export type WorkerEvent =
  | { type: 'ready' }
  | { type: 'events'; events: HistoryEvent[] }
  | { type: 'crashing' }
  | { type: 'failed'; message: string }
  /** The last message of a worker that ends normally: everything before it has arrived. */
  | { type: 'finished' };

export interface WorkerSummary {
  /** Producers: messages sent / acknowledged / failed; consumers: records processed. */
  sent: number;
  acked: number;
  errors: number;
  lastError?: string;
}
