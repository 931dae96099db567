/**
 * From `mq bench` flags (strings as typed) to workload fields (OMB names, minutes, numbers).
 * Only flags the user gave become fields, so a workload file's values stand unless overridden.
 */
import { parseBytes, parseDuration, UsageError } from '../../cli/units.js';
import type { WorkloadFile } from './workload.js';

export interface BenchFlagValues {
  name?: string;
  topics?: number;
  partitions?: number;
  'message-size'?: string;
  'payload-file'?: string;
  'key-distributor'?: string;
  producers?: number;
  subscriptions?: number;
  consumers?: number;
  rate?: string;
  'start-rate'?: string;
  duration?: string;
  warmup?: string;
  acks?: string;
  'batch-size'?: string;
  linger?: string;
  compression?: string;
  idempotence?: boolean;
  'max-in-flight'?: number;
}

/** "50000", "50k", "1.5M" → number; "max" / "search" kept. */
export function parseRate(input: string, what = '--rate'): number | 'max' | 'search' {
  const s = input.trim();
  if (s === 'max' || s === 'search') return s;
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(s);
  if (!m) throw new UsageError(`${what}: "${input}" is not a rate (try 50000, 50k, max, search)`);
  return Number(m[1]) * (m[2] === '' ? 1 : m[2].toLowerCase() === 'k' ? 1e3 : 1e6);
}

function parseAcks(input: string): -1 | 0 | 1 | 'all' {
  const s = input.trim();
  if (s === 'all' || s === '-1') return s === 'all' ? 'all' : -1;
  if (s === '0' || s === '1') return Number(s) as 0 | 1;
  throw new UsageError(`--acks: "${input}" is not an acks level (try all, 1, 0)`);
}

const minutes = (input: string, what: string) => parseDuration(input, what) / 60_000;

export function workloadFromFlags(f: BenchFlagValues): WorkloadFile {
  const producer: NonNullable<WorkloadFile['producer']> = {
    acks: f.acks === undefined ? undefined : parseAcks(f.acks),
    batchSize: f['batch-size'] === undefined ? undefined : parseBytes(f['batch-size'], '--batch-size'),
    lingerMs: f.linger === undefined ? undefined : parseDuration(f.linger, '--linger'),
    compression: f.compression as NonNullable<WorkloadFile['producer']>['compression'],
    idempotence: f.idempotence,
    maxInFlight: f['max-in-flight'],
  };
  const rate = f.rate === undefined ? undefined : parseRate(f.rate);
  const startRate = f['start-rate'] === undefined ? undefined : parseRate(f['start-rate'], '--start-rate');
  if (typeof startRate === 'string') throw new UsageError('--start-rate: give a number of msg/s');
  return {
    name: f.name,
    topics: f.topics,
    partitionsPerTopic: f.partitions,
    messageSize:
      f['message-size'] === undefined ? undefined : parseBytes(f['message-size'], '--message-size'),
    payloadFile: f['payload-file'],
    keyDistributor: f['key-distributor'] as WorkloadFile['keyDistributor'],
    producersPerTopic: f.producers,
    subscriptionsPerTopic: f.subscriptions,
    consumerPerSubscription: f.consumers,
    producerRate: rate,
    producerStartRate: startRate,
    testDurationMinutes: f.duration === undefined ? undefined : minutes(f.duration, '--duration'),
    warmupDurationMinutes: f.warmup === undefined ? undefined : minutes(f.warmup, '--warmup'),
    producer,
  };
}
