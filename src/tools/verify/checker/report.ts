/**
 * What the checker finds (the `--json` contract of `mq check` and `mq verify-loss`), and which
 * findings are anomalies under each declared delivery guarantee.
 *
 * | kind                | at-least-once          | exactly-once | at-most-once |
 * |---------------------|------------------------|--------------|--------------|
 * | lost                | anomaly                | anomaly      | allowed      |
 * | consumerLost        | anomaly                | anomaly      | allowed      |
 * | logDuplicate        | anomaly if idempotent  | anomaly      | anomaly      |
 * | redelivered         | allowed                | anomaly      | anomaly      |
 * | every other kind    | anomaly                | anomaly      | anomaly      |
 *
 * Order, offset and consumer-position findings are defects under any guarantee. Loss counts
 * messages the final read did not find ("unseen", when it did not reach the log end there) as
 * well as certain loss: an unverified message is not a verified one.
 */
import type { Guarantee } from '../history.js';

export const ANOMALY_KINDS = [
  'lost',
  'consumerLost',
  'logDuplicate',
  'redelivered',
  'redeliveredOutside',
  'reordered',
  'keyReordered',
  'keySplit',
  'nonMonotonicPoll',
  'skipped',
  'resumeMismatch',
  'inconsistentOffset',
  'failedButRead',
  'unexpected',
] as const;

export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

export const ANOMALY_LABELS: Record<AnomalyKind, string> = {
  lost: 'lost (acknowledged, not in the log)',
  consumerLost: 'lost by consumers (in the log, never processed)',
  logDuplicate: 'log duplicates (same producer+seq at another offset)',
  redelivered: 'redelivered: processed, not committed, delivered again',
  redeliveredOutside: 'redelivered below the last commit',
  reordered: 'reordered (lower seq after a higher one, same producer+partition)',
  keyReordered: 'key order broken at a consumer',
  keySplit: 'keys found in more than one partition',
  nonMonotonicPoll: 'consumer went back without reassignment',
  skipped: 'offsets skipped by a consumer',
  resumeMismatch: 'consumer did not resume at the last commit',
  inconsistentOffset: 'offsets holding two different messages',
  failedButRead: 'sends that failed definitely, yet were read',
  unexpected: 'messages read that no producer sent',
};

export interface NearestFault {
  kind: string;
  ts: number;
  target?: string;
  /** Anomaly time − fault time (negative: the anomaly came first). */
  deltaMs: number;
}

export interface Example {
  producer?: number;
  /** First sequence number; with `count`, a run of consecutive ones. */
  seq?: number;
  count?: number;
  partition?: number;
  offset?: number;
  consumer?: string;
  ts?: number;
  detail: string;
  /** The fault nearest to it; for a redelivery, the fault between its first read and the re-read most likely to have caused it (a crash of the consumer that read it first, then broker kill, restart, pause). */
  nearestFault?: NearestFault;
}

export interface DrainStatus {
  ran: boolean;
  /** Every partition was read to its log end. */
  reachedEnd: boolean;
  partitions: { partition: number; end: number; reached: number }[];
}

export interface CheckReport {
  valid: boolean;
  expect: Guarantee;
  /** From the history's meta line; null when it does not say. */
  idempotent: boolean | null;
  events: number;
  counts: {
    /** Messages whose send was invoked. */
    sent: number;
    acked: number;
    failed: number;
    indeterminate: number;
    /** Indeterminate sends that were read after all. */
    recovered: number;
    /** Distinct stamped messages read by anyone. */
    read: number;
    /** Distinct messages processed by the consumer group. */
    consumed: number;
    /** Records without a stamp (not produced by this history's producers). */
    unstamped: number;
  };
  anomalies: Record<AnomalyKind, number>;
  /** Kinds with a non-zero count that are anomalies under `expect`. */
  counted: AnomalyKind[];
  lost: { certain: number; unseen: number; readBeforeLoss: number; indeterminate: number };
  consumerLost: { certain: number; unseen: number } | null;
  drain: DrainStatus;
  faults: { kind: string; count: number }[];
  examples: Partial<Record<AnomalyKind, Example[]>>;
}

export function emptyAnomalies(): Record<AnomalyKind, number> {
  return Object.fromEntries(ANOMALY_KINDS.map((k) => [k, 0])) as Record<AnomalyKind, number>;
}

export function isAnomaly(kind: AnomalyKind, expect: Guarantee, idempotent: boolean | null): boolean {
  switch (kind) {
    case 'lost':
    case 'consumerLost':
      return expect !== 'at-most-once';
    case 'logDuplicate':
      return expect !== 'at-least-once' || idempotent === true;
    case 'redelivered':
      return expect !== 'at-least-once';
    default:
      return true;
  }
}

/** Exit code of `mq check` / `mq verify-loss`: 0 valid, 1 anomalies. */
export function exitCodeOf(report: CheckReport): 0 | 1 {
  return report.valid ? 0 : 1;
}
