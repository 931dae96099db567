/**
 * What the bench runner and its worker threads say to each other over a MessagePort.
 *
 * Counters in reports are cumulative (a lost or late report loses nothing); histograms are per
 * report (reset after each) and encoded (metrics/histogram.ts), split by the intended send time
 * of the message measured: before `measureFromMicros` into `warmup`, from it on into `measured`.
 * So warm-up is excluded exactly, by when a message was meant to be sent, not by when its ack or
 * delivery happened to arrive.
 */
import type { MessagePort } from 'node:worker_threads';
import type { ProducerSettings } from '../../drivers/driver.js';
import type { DriverSpec } from '../../drivers/index.js';
import type { KeyDistributor } from './workload.js';

export interface SplitHistogram {
  warmup: string;
  measured: string;
}

export interface ProducerTask {
  id: number;
  driver: DriverSpec;
  topic: string;
  partitions: number;
  settings: ProducerSettings;
  messageSize: number;
  payloadFile?: string;
  keyDistributor: KeyDistributor;
  /** Messages per send() call at most. */
  maxChunk: number;
  /** Messages sent and not yet settled at most (the producer's own backpressure). */
  maxPending: number;
  port: MessagePort;
}

export interface ConsumerTask {
  id: number;
  driver: DriverSpec;
  topic: string;
  group?: string;
  port: MessagePort;
}

export type WorkerCommand =
  /** Producers: begin the schedule at `atMicros` with `rate` msg/s (null = unthrottled). */
  | { type: 'start'; atMicros: number; rate: number | null; measureFromMicros: number }
  | { type: 'rate'; rate: number | null; measureFromMicros: number }
  | { type: 'measure-from'; micros: number }
  | { type: 'report'; id: number }
  | { type: 'stop' };

export interface ProducerReport {
  kind: 'producer';
  sent: number;
  acked: number;
  errors: number;
  /** Payload bytes acknowledged. */
  bytes: number;
  lastError?: string;
  publishLatency: SplitHistogram;
  publishDelay: SplitHistogram;
}

export interface ConsumerReport {
  kind: 'consumer';
  received: number;
  /** Payload bytes received. */
  bytes: number;
  /** Messages without a readable stamp (not produced by this run's producers). */
  unstamped: number;
  lastError?: string;
  endToEnd: SplitHistogram;
}

export type WorkerReport = ProducerReport | ConsumerReport;

export type WorkerEvent =
  | { type: 'ready' }
  | { type: 'report'; id: number; report: WorkerReport }
  | { type: 'failed'; message: string };
