/**
 * Checks around a run: what a driver must support before it starts, and what a finished run
 * should warn about (errors, messages not received, a target rate not reached).
 */
import { type Driver, requireCapabilities } from '../../drivers/index.js';
import type { IntervalStats, Totals } from './intervals.js';
import type { Workload } from './workload.js';

/** Refuses, before anything starts, a workload the driver cannot run as asked. */
export function checkDriver(driver: Pick<Driver, 'name' | 'capabilities'>, w: Workload): void {
  const p = w.producer;
  const explicit = new Set(p.explicit);
  requireCapabilities(
    driver,
    {
      idempotence: p.idempotence,
      compression: p.compression,
      batching: explicit.has('batchSize') || explicit.has('lingerMs'),
      acks: p.acks,
      maxInFlight: explicit.has('maxInFlight'),
      consumerGroups: w.consumerPerSubscription > 1,
    },
    'this workload',
  );
}

/** Warnings for the result: anything that makes the figures mean less than they seem to. */
export function runWarnings(
  w: Workload,
  intervals: readonly IntervalStats[],
  t: Totals,
  hasConsumers: boolean,
): string[] {
  const warnings: string[] = [];
  const subscriptions = w.subscriptionsPerTopic;
  if (t.errors > 0) {
    const last = intervals.findLast((i) => i.lastError)?.lastError;
    warnings.push(`${t.errors} messages failed to publish${last ? ` (last error: ${last})` : ''}`);
  }
  if (hasConsumers && t.received < t.acked * subscriptions) {
    warnings.push(
      `${t.acked * subscriptions - t.received} acknowledged messages were not received within the drain timeout`,
    );
  }
  if (t.unstamped > 0)
    warnings.push(`${t.unstamped} messages received without an mq-stamp header (not measured)`);
  if (w.rate.mode === 'fixed') {
    const measured = intervals.filter((i) => i.phase === 'measure');
    const secs = measured.reduce((a, i) => a + (i.endSec - i.startSec), 0);
    const acked = measured.reduce((a, i) => a + i.publishRate * (i.endSec - i.startSec), 0);
    if (secs > 0 && acked / secs < 0.95 * w.rate.perSecond) {
      warnings.push(
        `producers fell behind the target rate (${Math.round(acked / secs)} of ${w.rate.perSecond} msg/s acknowledged): latencies include the wait`,
      );
    }
  }
  return warnings;
}
