/**
 * Fault specs: what to break, when, how often — all from one repeatable flag.
 *
 *   --fault KIND[:EVERY][,every=DUR][,count=N][,after=DUR][,for=DUR]
 *
 *   broker-kill            SIGKILL the embedded broker, restart it on the same data dir and port
 *   broker-pause           SIGSTOP it for `for` (default 1s), then SIGCONT
 *   broker-restart         SIGTERM it (clean shutdown), restart it
 *   consumer-crash         kill a consumer between processing a batch and committing it, start a
 *                          replacement (consumers in turn)
 *   produce-response-drop  drop the broker's answer to the next Produce (it was written; the
 *                          producer retries)
 *   produce-error          answer the next Produce with a retriable error without writing it
 *
 * `every` repeats the fault (the first one after `after`, default `every`); without `count` it
 * repeats until the producers are done. Without `every` the fault happens once, `after` (default
 * 1s) into the run. `for` is the pause length, or how long a killed broker stays down.
 * Examples: `broker-kill:2s`, `broker-kill,every=500ms,count=20`, `consumer-crash,after=3s`.
 */
import { parseDuration, UsageError } from '../../cli/units.js';
import type { FaultKind } from './history.js';

export const FAULT_KINDS: readonly FaultKind[] = [
  'broker-kill',
  'broker-pause',
  'broker-restart',
  'consumer-crash',
  'produce-response-drop',
  'produce-error',
];

export interface FaultSpec {
  kind: FaultKind;
  /** null = once. */
  everyMs: number | null;
  /** Infinity = until the producers are done. */
  count: number;
  afterMs: number;
  forMs: number;
}

export function parseFaultSpec(text: string): FaultSpec {
  const [head, ...options] = text.split(',').map((s) => s.trim());
  const [kind, every] = head.split(':');
  if (!FAULT_KINDS.includes(kind as FaultKind)) {
    throw new UsageError(`--fault ${text}: unknown fault "${kind}" (one of: ${FAULT_KINDS.join(', ')})`);
  }
  const opts = new Map<string, string>();
  if (every) opts.set('every', every);
  for (const o of options) {
    const [k, v] = o.split('=');
    if (!['every', 'count', 'after', 'for'].includes(k) || v === undefined || v === '')
      throw new UsageError(`--fault ${text}: "${o}" is not one of every=DUR, count=N, after=DUR, for=DUR`);
    opts.set(k, v);
  }
  const dur = (k: string) => {
    const v = opts.get(k);
    return v === undefined ? undefined : parseDuration(v, `--fault ${kind} ${k}`);
  };
  const everyMs = dur('every') ?? null;
  if (everyMs !== null && everyMs <= 0) throw new UsageError(`--fault ${text}: every must be positive`);
  let count = everyMs === null ? 1 : Number.POSITIVE_INFINITY;
  const c = opts.get('count');
  if (c !== undefined) {
    count = Number(c);
    if (!Number.isInteger(count) || count < 1) throw new UsageError(`--fault ${text}: count must be ≥ 1`);
  }
  return {
    kind: kind as FaultKind,
    everyMs,
    count,
    afterMs: dur('after') ?? everyMs ?? 1000,
    forMs: dur('for') ?? (kind === 'broker-pause' ? 1000 : 0),
  };
}

export function describeFault(f: FaultSpec): string {
  const times = f.count === Number.POSITIVE_INFINITY ? 'until the producers are done' : `${f.count}×`;
  const when =
    f.everyMs === null ? `at ${f.afterMs} ms` : `every ${f.everyMs} ms from ${f.afterMs} ms, ${times}`;
  return `${f.kind} ${when}${f.forMs > 0 ? `, for ${f.forMs} ms` : ''}`;
}

export const needsBroker = (f: FaultSpec) => f.kind.startsWith('broker-');
export const needsProxy = (f: FaultSpec) => f.kind.startsWith('produce-');
