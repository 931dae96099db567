/**
 * Plain-text drain output for logs and CI (no TTY): one line when the drain starts, one per
 * interval, and a summary of the result. Pure functions of the runner's events and the result.
 */
import type { BacklogFillResult } from '../../tools/backlog/fill.js';
import type { DrainEstimate } from '../../tools/drain/estimate.js';
import type { DrainResult } from '../../tools/drain/result.js';
import type { DrainStartInfo, DrainTick } from '../../tools/drain/runner.js';
import { compact, grouped, ms, seconds } from '../format.js';
import { eta, headline, latencyPair, megabytes, netRate } from './drain-format.js';

export function drainStartLine(info: DrainStartInfo): string {
  const bytes =
    info.bytesPerMessage === null ? '' : ` (${megabytes(info.startLag.total * info.bytesPerMessage)})`;
  return `${headline(info)} · lag ${grouped(info.startLag.total)}${bytes}`;
}

export function drainTickLine(t: DrainTick): string {
  const parts = [
    `${seconds(t.elapsedSec).padStart(6)} ${t.phase === 'finishing' ? 'final' : 'drain'}`,
    `remaining ${grouped(t.remaining)}`,
    `drain ${compact(t.rates.drain)}/s arrival ${compact(t.rates.arrival)}/s net ${netRate(t.rates.net)}/s`,
    `ETA ${eta(t.etaSec)}`,
    `in queue ${latencyPair(t.timeInQueue)}`,
    `processing ${latencyPair(t.processing)}`,
  ];
  if (t.tempLag !== null) parts.push(`temp lag ${grouped(t.tempLag)}`);
  if (t.totals.retried + t.totals.deadLettered + t.totals.failed > 0) {
    parts.push(
      `retried ${grouped(t.totals.retried)} dlq ${grouped(t.totals.deadLettered)} failed ${grouped(t.totals.failed)}`,
    );
  }
  return parts.join(' | ');
}

const OUTCOME: Record<DrainResult['outcome'], string> = {
  drained: 'drained',
  timeout: 'stopped by the timeout with lag left',
  stopped: 'stopped early with lag left',
  failed: 'failed',
};

export function drainSummary(r: DrainResult): string {
  const l = r.latencyMs;
  const lines = [
    `${OUTCOME[r.outcome]} (${r.reason}) in ${seconds(r.durationSec)}: lag ${grouped(r.startLag.messages)} → ${grouped(r.endLag.messages)}`,
    `processed ${grouped(r.counts.processed)} at ${compact(r.rates.drain)} msg/s (${r.rates.drainMBps.toFixed(2)} MB/s, peak ${compact(r.rates.peakDrain)}/s); arrived ${grouped(r.counts.arrived)} (${compact(r.rates.arrival)}/s)`,
    `time in queue p50 ${ms(l.timeInQueue.p50)} p99 ${ms(l.timeInQueue.p99)} max ${ms(l.timeInQueue.max)} ms; processing p50 ${ms(l.processing.p50)} p99 ${ms(l.processing.p99)} ms`,
  ];
  const c = r.counts;
  if (c.retried + c.deadLettered + c.failed > 0) {
    lines.push(
      `retried ${grouped(c.retried)}, dead-lettered ${grouped(c.deadLettered)}, failed ${grouped(c.failed)}`,
    );
  }
  if (r.coverage) {
    lines.push(
      `check: ${grouped(r.coverage.handled)} offsets handled, ${grouped(r.coverage.repeats)} redelivered, ${grouped(r.coverage.missing)} missing`,
    );
  }
  if (r.fanout) {
    lines.push(
      `fan-out: ${r.fanout.tempTopic} ${r.fanout.removed ? 'removed' : `kept (${grouped(r.fanout.left)} left)`}`,
    );
  }
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n');
}

export function estimateSummary(e: DrainEstimate): string {
  const bytes = e.lag.bytes === null ? '' : ` (${megabytes(e.lag.bytes)})`;
  const lines = [
    `dry run · ${e.topic} · group ${e.group} · ${e.partitions} partitions: lag ${grouped(e.lag.messages)}${bytes}`,
    `arrival ${compact(e.arrivalRate)} msg/s over ${seconds(e.sampleSec)}; one consumer reads ${e.readRatePerConsumer === null ? '—' : `${compact(e.readRatePerConsumer)} msg/s`}`,
    e.capacity === null
      ? `${e.consumers} consumers: drain speed unknown`
      : `${e.consumers} consumers (${e.effectiveConsumers} busy): ~${compact(e.capacity)} msg/s, net ${netRate(e.netRate ?? 0)} msg/s, estimated drain ${eta(e.etaSec)}`,
    ...e.basis.map((b) => `  · ${b}`),
  ];
  return lines.join('\n');
}

export function fillSummary(r: BacklogFillResult): string {
  return (
    `filled ${r.topic}${r.created ? ' (created)' : ''}: ${grouped(r.messages)} × ${r.messageSize} B over ${r.partitions} partitions ` +
    `(${megabytes(r.bytes)}) in ${seconds(r.seconds)}, ${compact(r.rate)} msg/s, ${r.MBps.toFixed(1)} MB/s; stamps from producer ${r.producerId}`
  );
}
