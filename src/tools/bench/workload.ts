/**
 * A bench workload: what to run, from flags and/or a YAML file whose field names are
 * OpenMessaging Benchmark's where OMB has one (topics, partitionsPerTopic, messageSize, ...).
 *
 * Flags override file fields. Everything is validated by one zod schema; unknown fields are
 * refused (a typo must not silently fall back to a default), and every error names the field and,
 * when it came from a flag, the flag. `producerRate` keeps OMB's meaning of 0 (search for the
 * maximum sustainable rate) and adds -1 / "max" (unthrottled) and "search".
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

export const KEY_DISTRIBUTORS = ['NO_KEY', 'KEY_ROUND_ROBIN', 'RANDOM_NANO'] as const;
export type KeyDistributor = (typeof KEY_DISTRIBUTORS)[number];

const RATE_MESSAGE = 'must be a rate in msg/s, 0 or "search" (find the maximum), -1 or "max" (unthrottled)';
const int = (min: number) => z.number().int().min(min);
const positive = z.number().positive();

/** The producer settings block (OMB keeps these in the driver file; mq keeps them here). */
const ProducerSchema = z
  .object({
    acks: z
      .union([z.literal(-1), z.literal(0), z.literal(1), z.literal('all')], {
        errorMap: () => ({ message: 'must be all, -1, 1 or 0' }),
      })
      .optional(),
    batchSize: int(1).optional(),
    lingerMs: z.number().min(0).optional(),
    compression: z.enum(['none', 'gzip', 'snappy', 'lz4', 'zstd']).optional(),
    idempotence: z.boolean().optional(),
    maxInFlight: int(1).optional(),
  })
  .strict();

export const WorkloadFileSchema = z
  .object({
    name: z.string().min(1).optional(),
    topics: int(1).default(1),
    partitionsPerTopic: int(1).default(1),
    messageSize: int(0)
      .max(100 * 1024 * 1024)
      .default(100),
    payloadFile: z.string().min(1).optional(),
    keyDistributor: z.enum(KEY_DISTRIBUTORS).default('NO_KEY'),
    producersPerTopic: int(1).default(1),
    subscriptionsPerTopic: int(0).default(1),
    consumerPerSubscription: int(1).default(1),
    producerRate: z
      .union([z.number(), z.enum(['max', 'search'])], { errorMap: () => ({ message: RATE_MESSAGE }) })
      .default('max')
      .refine((v) => typeof v === 'string' || v === -1 || v >= 0, RATE_MESSAGE),
    producerStartRate: positive.default(10_000),
    acceptableBacklog: int(0).default(10_000),
    acceptablePublishDelayMs: positive.default(100),
    testDurationMinutes: positive.default(10 / 60),
    warmupDurationMinutes: z
      .number()
      .min(0)
      .default(2 / 60),
    producer: ProducerSchema.default({}),
  })
  .strict();

export type WorkloadFile = z.input<typeof WorkloadFileSchema>;

export type RateMode =
  | { mode: 'fixed'; perSecond: number }
  | { mode: 'max' }
  | { mode: 'search'; startRate: number; acceptableBacklog: number; acceptablePublishDelayMs: number };

export interface ProducerConfig {
  acks: -1 | 0 | 1;
  batchSize: number;
  lingerMs: number;
  compression: string;
  idempotence: boolean;
  maxInFlight: number;
  /** Settings the user gave (a driver that lacks one of them is refused; defaults are not). */
  explicit: string[];
}

export interface Workload {
  name: string;
  topics: number;
  partitionsPerTopic: number;
  messageSize: number;
  /** Resolved path; its bytes are the payload and fix the message size. */
  payloadFile?: string;
  keyDistributor: KeyDistributor;
  producersPerTopic: number;
  subscriptionsPerTopic: number;
  consumerPerSubscription: number;
  rate: RateMode;
  durationMs: number;
  warmupMs: number;
  producer: ProducerConfig;
}

export const PRODUCER_DEFAULTS = {
  acks: -1,
  batchSize: 16_384,
  lingerMs: 0,
  compression: 'none',
  idempotence: false,
  maxInFlight: 5,
} as const;

/** Which flag sets which field: for error messages. */
export const FLAG_FOR_FIELD: Readonly<Record<string, string>> = {
  name: '--name',
  topics: '--topics',
  partitionsPerTopic: '--partitions',
  messageSize: '--message-size',
  payloadFile: '--payload-file',
  keyDistributor: '--key-distributor',
  producersPerTopic: '--producers',
  subscriptionsPerTopic: '--subscriptions',
  consumerPerSubscription: '--consumers',
  producerRate: '--rate',
  producerStartRate: '--start-rate',
  testDurationMinutes: '--duration',
  warmupDurationMinutes: '--warmup',
  'producer.acks': '--acks',
  'producer.batchSize': '--batch-size',
  'producer.lingerMs': '--linger',
  'producer.compression': '--compression',
  'producer.idempotence': '--idempotence',
  'producer.maxInFlight': '--max-in-flight',
};

/** A workload that cannot run as given; the message names the field (and flag) to fix. */
export class WorkloadError extends Error {
  override name = 'WorkloadError';
}

export interface WorkloadSources {
  /** The YAML file's text and where it came from (for messages and relative payload paths). */
  file?: { text: string; path: string };
  /** Fields set by flags, in file field names (nested `producer`). */
  flags?: WorkloadFile;
}

export async function loadWorkloadFile(file: string): Promise<{ text: string; path: string }> {
  try {
    return { text: await readFile(file, 'utf8'), path: file };
  } catch (err) {
    throw new WorkloadError(`cannot read workload file ${file}: ${(err as Error).message}`);
  }
}

/** Merges file and flags, validates, and normalises units (durations in ms, rates in msg/s). */
export function resolveWorkload(sources: WorkloadSources): Workload {
  let fromFile: Record<string, unknown> = {};
  if (sources.file) {
    let parsed: unknown;
    try {
      parsed = parseYaml(sources.file.text);
    } catch (err) {
      throw new WorkloadError(
        `${sources.file.path}: not valid YAML: ${(err as Error).message.split('\n')[0]}`,
      );
    }
    if (parsed !== null && parsed !== undefined && (typeof parsed !== 'object' || Array.isArray(parsed))) {
      throw new WorkloadError(
        `${sources.file.path}: a workload is a mapping of fields (topics: 1, messageSize: 100, ...)`,
      );
    }
    fromFile = (parsed ?? {}) as Record<string, unknown>;
  }
  const flags = (sources.flags ?? {}) as Record<string, unknown>;
  const merged = {
    ...fromFile,
    ...dropUndefined(flags),
    producer: {
      ...((fromFile.producer as object) ?? {}),
      ...dropUndefined((flags.producer as Record<string, unknown>) ?? {}),
    },
  };
  const parsed = WorkloadFileSchema.safeParse(merged);
  if (!parsed.success) {
    const where = sources.file ? `${sources.file.path}: ` : '';
    const lines = parsed.error.issues.map((issue) => describeIssue(issue, flags));
    throw new WorkloadError(`${where}invalid workload:\n${lines.map((l) => `  - ${l}`).join('\n')}`);
  }
  const w = parsed.data;
  const rawProducer = merged.producer as Record<string, unknown>;
  const explicit = Object.keys(rawProducer).filter((k) => rawProducer[k] !== undefined);
  const p = w.producer;
  const acks = p.acks === 'all' || p.acks === undefined ? PRODUCER_DEFAULTS.acks : p.acks;
  if (p.idempotence && acks !== -1) {
    throw new WorkloadError('producer.idempotence (--idempotence) needs producer.acks = -1 (--acks all)');
  }
  return {
    name: w.name ?? defaultName(w),
    topics: w.topics,
    partitionsPerTopic: w.partitionsPerTopic,
    messageSize: w.messageSize,
    payloadFile: w.payloadFile
      ? path.resolve(
          sources.file && !flags.payloadFile ? path.dirname(sources.file.path) : '.',
          w.payloadFile,
        )
      : undefined,
    keyDistributor: w.keyDistributor,
    producersPerTopic: w.producersPerTopic,
    subscriptionsPerTopic: w.subscriptionsPerTopic,
    consumerPerSubscription: w.consumerPerSubscription,
    rate: rateMode(w),
    durationMs: Math.round(w.testDurationMinutes * 60_000),
    warmupMs: Math.round(w.warmupDurationMinutes * 60_000),
    producer: {
      acks,
      batchSize: p.batchSize ?? PRODUCER_DEFAULTS.batchSize,
      lingerMs: p.lingerMs ?? PRODUCER_DEFAULTS.lingerMs,
      compression: p.compression ?? PRODUCER_DEFAULTS.compression,
      idempotence: p.idempotence ?? PRODUCER_DEFAULTS.idempotence,
      maxInFlight: p.maxInFlight ?? PRODUCER_DEFAULTS.maxInFlight,
      explicit,
    },
  };
}

function rateMode(w: z.output<typeof WorkloadFileSchema>): RateMode {
  const r = w.producerRate;
  if (r === 'max' || r === -1) return { mode: 'max' };
  if (r === 'search' || r === 0) {
    return {
      mode: 'search',
      startRate: w.producerStartRate,
      acceptableBacklog: w.acceptableBacklog,
      acceptablePublishDelayMs: w.acceptablePublishDelayMs,
    };
  }
  return { mode: 'fixed', perSecond: r };
}

function defaultName(w: z.output<typeof WorkloadFileSchema>): string {
  const rate =
    typeof w.producerRate === 'number' && w.producerRate > 0
      ? `${w.producerRate}-rate`
      : String(w.producerRate);
  return `${w.topics}-topic-${w.partitionsPerTopic}-partitions-${w.messageSize}b-${rate}`;
}

function describeIssue(issue: z.ZodIssue, flags: Record<string, unknown>): string {
  const field = issue.path.join('.');
  if (issue.code === 'unrecognized_keys') {
    const prefix = field ? `${field}.` : '';
    const known = Object.keys(issue.path[0] === 'producer' ? ProducerSchema.shape : WorkloadFileSchema.shape);
    return `unknown field ${issue.keys.map((k) => `"${prefix}${k}"`).join(', ')} (known: ${known.join(', ')})`;
  }
  const fromFlag =
    (issue.path.length === 1 && flags[field] !== undefined) ||
    (issue.path[0] === 'producer' &&
      (flags.producer as Record<string, unknown> | undefined)?.[String(issue.path[1])] !== undefined);
  const flag = FLAG_FOR_FIELD[field];
  const name = fromFlag && flag ? `${flag} (${field})` : field || 'workload';
  let message = issue.message;
  if (issue.code === 'invalid_enum_value') message = `must be one of ${issue.options.join(', ')}`;
  if (issue.code === 'invalid_type')
    message = `must be ${issue.expected === 'number' ? 'a number' : issue.expected}, got ${issue.received}`;
  return `${name}: ${message.charAt(0).toLowerCase()}${message.slice(1)}`;
}

function dropUndefined(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined && k !== 'producer') out[k] = v;
  return out;
}

/** With a payload file, the message size is the file's: checked here, before anything starts. */
export async function withPayloadSize(w: Workload): Promise<Workload> {
  if (!w.payloadFile) return w;
  try {
    const s = await stat(w.payloadFile);
    if (!s.isFile()) throw new Error('not a file');
    return { ...w, messageSize: s.size };
  } catch (err) {
    throw new WorkloadError(
      `payloadFile (--payload-file): cannot read ${w.payloadFile}: ${(err as Error).message}`,
    );
  }
}
