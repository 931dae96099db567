/**
 * Flush policy: when an appended batch counts as durable, i.e. when its produce is acked.
 *
 *   sync          written and fdatasync'd before the ack; concurrent appends share one fdatasync
 *                 (group commit). Nothing acked is lost, not even on power loss.
 *   os            written to the page cache before the ack; the OS writes it back. Survives a
 *                 process crash, not a power loss.
 *   async:<ms>    held in broker memory and acked at once; written and fdatasync'd every <ms>.
 *                 A process crash loses up to <ms> of acked batches, honestly.
 *
 * This module is only the typed, validated config; PartitionLog decides with it and Segment does
 * the writing and syncing.
 */
import { StorageConfigError } from './errors.js';

export type FlushPolicy = { kind: 'sync' } | { kind: 'os' } | { kind: 'async'; intervalMs: number };

/** setInterval's limit; an interval beyond it would fire at once. */
export const MAX_ASYNC_INTERVAL_MS = 2_147_483_647;

const ASYNC = /^async:(\d+)$/;

export function parseFlushPolicy(text: string): FlushPolicy {
  if (text === 'sync') return { kind: 'sync' };
  if (text === 'os') return { kind: 'os' };
  const m = ASYNC.exec(text);
  if (m) {
    const policy: FlushPolicy = { kind: 'async', intervalMs: Number(m[1]) };
    validateFlushPolicy(policy);
    return policy;
  }
  throw new StorageConfigError(
    `invalid flush policy ${JSON.stringify(text)}: expected sync, os or async:<ms> (for example async:1000)`,
  );
}

export function formatFlushPolicy(policy: FlushPolicy): string {
  return policy.kind === 'async' ? `async:${policy.intervalMs}` : policy.kind;
}

export function validateFlushPolicy(policy: FlushPolicy): void {
  if (policy.kind === 'sync' || policy.kind === 'os') return;
  if (policy.kind === 'async') {
    const ms = policy.intervalMs;
    if (!Number.isInteger(ms) || ms < 1 || ms > MAX_ASYNC_INTERVAL_MS) {
      throw new StorageConfigError(
        `invalid flush policy async:${ms}: the interval must be a whole number of milliseconds in 1..${MAX_ASYNC_INTERVAL_MS}`,
      );
    }
    return;
  }
  throw new StorageConfigError(
    `invalid flush policy ${JSON.stringify(policy)}: expected sync, os or async:<ms>`,
  );
}
