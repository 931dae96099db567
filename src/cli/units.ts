/**
 * Sizes and durations as users type them ("16KiB", "1GB", "500ms", "2m"), parsed by the `bytes`
 * and `ms` libraries. Binary units: 1KB = 1024 bytes, as Kafka's own configs count.
 */
import bytes from 'bytes';
import ms from 'ms';

export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseBytes(input: string, what: string): number {
  const v = bytes.parse(input.trim().replace(/i(?=b$)/i, ''));
  if (v === null || !Number.isFinite(v) || v < 0) {
    throw new UsageError(`${what}: "${input}" is not a size (try 1048576, 16KB, 1GiB)`);
  }
  return Math.floor(v);
}

/** -1 (unlimited) is accepted as is. */
export function parseBytesOrUnlimited(input: string, what: string): number {
  return input.trim() === '-1' ? -1 : parseBytes(input, what);
}

export function parseDuration(input: string, what: string): number {
  const v = /^\d+$/.test(input.trim()) ? Number(input) : ms(input.trim() as ms.StringValue);
  if (v === undefined || !Number.isFinite(v) || v < 0) {
    throw new UsageError(`${what}: "${input}" is not a duration (try 500, 500ms, 10s, 7d)`);
  }
  return v;
}

export function parseDurationOrUnlimited(input: string, what: string): number {
  return input.trim() === '-1' ? -1 : parseDuration(input, what);
}
