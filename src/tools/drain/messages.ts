/**
 * What the drain runner and its worker threads say to each other over a MessagePort.
 *
 * Counters in reports are cumulative; histograms (encoded, µs) cover the time since the previous
 * report; `positions` is one past the highest offset handled per (original) partition. The runs
 * of handled offsets travel once, in the final report (the task's return value).
 */
import type { MessagePort } from 'node:worker_threads';
import type { DriverSpec } from '../../drivers/index.js';
import type { PartitionRuns } from './coverage.js';
import type { ProcessingSpec, ReadTrace } from './processor.js';
import type { TokenBucketSpec } from './token-bucket.js';

export interface DrainConsumerTask {
  id: number;
  driver: DriverSpec;
  /** The topic this consumer reads (the temporary one for fan-out consumers). */
  topic: string;
  group: string;
  processing: ProcessingSpec;
  bucket: TokenBucketSpec | null;
  commitIntervalMs: number;
  /** Set for fan-out consumers: the original topic their messages came from. */
  fannedOutFrom: string | null;
  /** Report a ReadTrace of every handled message. */
  traceReads: boolean;
  port: MessagePort;
}

export interface DispatcherTask {
  id: number;
  driver: DriverSpec;
  topic: string;
  group: string;
  tempTopic: string;
  /** Temporary partitions per original partition. */
  fanout: number;
  commitIntervalMs: number;
  port: MessagePort;
}

export type DrainWorkerCommand =
  /** Start consuming: sent to every worker at once, so their group joins arrive together. */
  | { type: 'go' }
  | { type: 'report'; id: number }
  /** Dispatchers: hold re-publishing (the fan-out consumers are far enough behind), or go on. */
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' };

export interface DrainWorkerReport {
  role: 'consumer' | 'dispatcher';
  /** When the counters were read (µs, metrics/clock.ts): rates use this, not when the report arrived. */
  atMicros: number;
  /** Consumers: messages processed (redeliveries included); dispatchers: re-published. */
  processed: number;
  bytes: number;
  failed: number;
  retried: number;
  deadLettered: number;
  commits: number;
  lastError?: string;
  /** The consumer stopped delivering (its fetch loop failed): the drain cannot finish. */
  fatal?: string;
  timeInQueue: string;
  processing: string;
  positions: Record<number, number>;
  /** Consumers: when the first and the latest message were handled (µs), 0 before any. */
  firstAtMicros: number;
  lastAtMicros: number;
  /** Final report only. */
  runs?: PartitionRuns;
  /** With traceReads: handled messages since the last report. */
  reads?: ReadTrace[];
}

export type DrainWorkerEvent =
  /** Modules, handler and producer loaded: waiting for 'go'. */
  | { type: 'loaded' }
  /** Joined and assigned: consuming. */
  | { type: 'ready' }
  | { type: 'report'; id: number; report: DrainWorkerReport }
  | { type: 'failed'; message: string };
