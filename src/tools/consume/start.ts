/**
 * Where `mq consume` starts without a group: `--offset` as typed, resolved per partition.
 *   beginning | earliest     the first offset still in the log
 *   end | latest             only messages produced from now on (the default)
 *   N                        offset N (the log end when past it, the start when below it)
 *   -N                       N messages before the log end
 *   @TIME                    the first message at or after TIME (ms since the epoch, or ISO 8601);
 *                            the broker looks times up per stored batch, so messages of the same
 *                            batch from just before TIME may come first
 */
import { UsageError } from '../../cli/units.js';

export type StartOffset =
  | { kind: 'earliest' }
  | { kind: 'latest' }
  | { kind: 'absolute'; offset: number }
  | { kind: 'fromEnd'; count: number }
  | { kind: 'time'; timestamp: number };

export function parseStartOffset(input: string): StartOffset {
  const s = input.trim();
  if (s === 'beginning' || s === 'earliest') return { kind: 'earliest' };
  if (s === 'end' || s === 'latest') return { kind: 'latest' };
  if (/^\d+$/.test(s)) return { kind: 'absolute', offset: Number(s) };
  if (/^-\d+$/.test(s)) return { kind: 'fromEnd', count: Number(s.slice(1)) };
  if (s.startsWith('@')) {
    const t = s.slice(1);
    const timestamp = /^\d+$/.test(t) ? Number(t) : Date.parse(t);
    if (Number.isFinite(timestamp)) return { kind: 'time', timestamp };
  }
  throw new UsageError(
    `--offset "${input}": expected beginning, end, an offset (42), a count back from the end (-10) or @TIME (@1700000000000, @2024-05-01T12:00:00Z)`,
  );
}

/**
 * Per partition: the offset to start at, from the log's bounds and, for @TIME, the offset the
 * broker found for the time (-1 when every message is older: start at the end).
 */
export function resolveStart(
  start: StartOffset,
  p: { logStart: number; logEnd: number; atTime?: number },
): number {
  switch (start.kind) {
    case 'earliest':
      return p.logStart;
    case 'latest':
      return p.logEnd;
    case 'absolute':
      return Math.min(Math.max(start.offset, p.logStart), p.logEnd);
    case 'fromEnd':
      return Math.max(p.logEnd - start.count, p.logStart);
    case 'time':
      return p.atTime !== undefined && p.atTime >= 0 ? p.atTime : p.logEnd;
  }
}
