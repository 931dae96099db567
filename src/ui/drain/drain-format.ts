/** Pieces of text both drain renderers (ink view, plain lines) use. */
import type { LatencySummary } from '../../metrics/histogram.js';
import type { DrainStartInfo } from '../../tools/drain/runner.js';
import { compact, grouped, seconds, usAsMs } from '../format.js';

const FULL = '█';
const EMPTY = '░';

/** A bar `width` cells wide, `fraction` (clamped to 0..1) of them full. */
export function bar(fraction: number, width: number): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const full = Math.round(f * width);
  return FULL.repeat(full) + EMPTY.repeat(width - full);
}

export function eta(sec: number | null): string {
  if (sec === null) return 'never (not shrinking)';
  return seconds(sec);
}

/** "+12.3k" when the backlog shrinks, "-1.20k" when it grows. */
export function netRate(net: number): string {
  return `${net >= 0 ? '+' : '-'}${compact(Math.abs(net))}`;
}

export function megabytes(bytes: number | null): string {
  if (bytes === null) return '';
  const mb = bytes / (1 << 20);
  return mb >= 1024 ? `${(mb / 1024).toFixed(2)} GiB` : `${mb.toFixed(mb < 10 ? 2 : 1)} MiB`;
}

export function latencyPair(l: LatencySummary): string {
  return l.count > 0 ? `p50 ${usAsMs(l.p50)} p99 ${usAsMs(l.p99)} ms` : '—';
}

export function headline(info: DrainStartInfo): string {
  const parts = [
    `mq drain-backlog · ${info.topic} · group ${info.group}`,
    `${info.partitions} partition${info.partitions === 1 ? '' : 's'}`,
    `${info.consumers} consumer${info.consumers === 1 ? '' : 's'}`,
  ];
  if (info.tempTopic) parts.push(`fan-out ×${info.fanout} via ${info.tempTopic}`);
  if (info.maxRate !== null) parts.push(`max ${grouped(info.maxRate)} msg/s`);
  if (info.produceRate !== null) parts.push(`producing ${grouped(info.produceRate)} msg/s`);
  return parts.join(' · ');
}
