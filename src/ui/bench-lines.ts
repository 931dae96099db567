/**
 * Plain-text bench output for logs and CI (no TTY): one line when the run starts, one per
 * interval, one per rate-search step. Pure functions of the runner's events.
 */
import type { IntervalStats } from '../tools/bench/intervals.js';
import type { SearchStep } from '../tools/bench/rate-search.js';
import type { BenchStartInfo } from '../tools/bench/runner.js';
import { compact, grouped, mbps, seconds, usAsMs } from './format.js';

export function startLine(
  info: BenchStartInfo,
  extra: { driver: string; messageSize: number; partitions: number },
): string {
  const rate = info.targetRate === null ? 'max rate' : `${grouped(info.targetRate)} msg/s`;
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  return (
    `mq bench (${extra.driver}): ${plural(info.topics.length, 'topic')} × ${plural(extra.partitions, 'partition')}, ` +
    `${plural(info.producers, 'producer')}, ${plural(info.consumers, 'consumer')}, ${extra.messageSize} B messages, ` +
    `${rate}, warm-up ${seconds(info.warmupSec)}, duration ${seconds(info.durationSec)}`
  );
}

export function intervalLine(s: IntervalStats): string {
  const p = s.publishLatency;
  const e = s.endToEnd;
  const parts = [
    `${seconds(s.endSec).padStart(6)} ${s.phase.padEnd(7)}`,
    `pub ${compact(s.publishRate)} msg/s ${mbps(s.publishMBps)} MB/s err ${compact(s.publishErrorRate)}/s`,
    `cons ${compact(s.consumeRate)} msg/s`,
    `backlog ${grouped(s.backlog)}`,
    `pub p50 ${usAsMs(p.p50)} p99 ${usAsMs(p.p99)} p99.9 ${usAsMs(p.p999)} max ${usAsMs(p.max)} ms`,
  ];
  if (s.targetRate !== null) parts.push(`delay p99 ${usAsMs(s.publishDelay.p99)} ms`);
  if (e.count > 0) {
    parts.push(
      `e2e p50 ${usAsMs(e.p50)} p99 ${usAsMs(e.p99)} p99.9 ${usAsMs(e.p999)} max ${usAsMs(e.max)} ms`,
    );
  }
  return parts.join(' | ');
}

export function stepLine(s: SearchStep): string {
  const verdict = s.sustainable ? 'sustainable' : `not sustainable (${s.reason})`;
  return (
    `search: ${grouped(s.rate)} msg/s ${verdict}; published ${grouped(s.achievedRate)} msg/s, ` +
    `backlog ${s.backlogGrowth >= 0 ? '+' : ''}${grouped(s.backlogGrowth)}, delay p99 ${s.publishDelayP99Ms.toFixed(2)} ms`
  );
}
