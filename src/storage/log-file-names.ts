/**
 * Every name the storage engine gives a file or directory is made and parsed here.
 *
 *   <data-dir>/meta.json, .lock, .clean-shutdown
 *   <data-dir>/topics/<topic>-<partition>/                      a partition (split on the LAST '-')
 *   <data-dir>/topics/<topic>-<partition>.<hex>-delete/         a partition being deleted
 *   <partition-dir>/<20-digit base offset>.log|.index|.timeindex a segment
 *   <partition-dir>/recovery-point, config.json                 per-partition state
 *   *.tmp                                                       an atomic write in progress
 *
 * Offsets are zero-padded to 20 digits (the width of a signed 64-bit offset) so `ls` sorts
 * segments in offset order. Parsers accept exactly what the makers produce and nothing else.
 */
import { MAX_PARTITION, validateTopicName } from './topic-name.js';

export const META_FILE = 'meta.json';
export const LOCK_FILE = '.lock';
export const CLEAN_SHUTDOWN_FILE = '.clean-shutdown';
export const TOPICS_DIR = 'topics';
export const RECOVERY_POINT_FILE = 'recovery-point';
export const TOPIC_CONFIG_FILE = 'config.json';
export const TEMP_FILE_SUFFIX = '.tmp';
export const DELETE_DIR_SUFFIX = '-delete';

export const LOG_FILE_SUFFIX = '.log';
export const INDEX_FILE_SUFFIX = '.index';
export const TIME_INDEX_FILE_SUFFIX = '.timeindex';
export type SegmentFileSuffix =
  | typeof LOG_FILE_SUFFIX
  | typeof INDEX_FILE_SUFFIX
  | typeof TIME_INDEX_FILE_SUFFIX;

const OFFSET_DIGITS = 20;
const SEGMENT_FILE = /^(\d{20})(\.log|\.index|\.timeindex)$/;
const PARTITION = /^(0|[1-9]\d{0,9})$/;
/** Longest file name common Linux file systems accept. */
const MAX_FILE_NAME = 255;

export function segmentFileName(baseOffset: number, suffix: SegmentFileSuffix): string {
  return String(baseOffset).padStart(OFFSET_DIGITS, '0') + suffix;
}

export function parseSegmentFileName(name: string): { baseOffset: number; suffix: SegmentFileSuffix } | null {
  const m = SEGMENT_FILE.exec(name);
  if (!m) return null;
  const baseOffset = Number(m[1]);
  if (!Number.isSafeInteger(baseOffset)) return null;
  return { baseOffset, suffix: m[2] as SegmentFileSuffix };
}

export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/** Inverse of partitionDirName; null for anything else (including `-delete` dirs). */
export function parsePartitionDirName(name: string): { topic: string; partition: number } | null {
  const dash = name.lastIndexOf('-');
  if (dash <= 0) return null;
  const digits = name.slice(dash + 1);
  if (!PARTITION.test(digits)) return null;
  const partition = Number(digits);
  if (partition > MAX_PARTITION) return null;
  const topic = name.slice(0, dash);
  if (validateTopicName(topic) !== null) return null;
  return { topic, partition };
}

/**
 * Name a partition dir is renamed to before it is removed, so a crash half-way through removing
 * it leaves a dir the next start recognises and finishes deleting. The topic is shortened, as
 * Kafka does, so the name fits in 255 bytes.
 */
export function deletedPartitionDirName(topic: string, partition: number, tag: string): string {
  const suffix = `.${tag}${DELETE_DIR_SUFFIX}`;
  const room = MAX_FILE_NAME - suffix.length - 1 - String(partition).length;
  return `${topic.slice(0, Math.max(1, room))}-${partition}${suffix}`;
}

export function isDeletedPartitionDir(name: string): boolean {
  return name.endsWith(DELETE_DIR_SUFFIX) && name.includes('.');
}
