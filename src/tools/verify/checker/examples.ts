/**
 * Examples of each anomaly kind, up to a limit per kind (Infinity for `--all`), each with the
 * injected fault that best explains it. Faults are few, so they are kept in a sorted list.
 *
 * By default that is the fault nearest in time to the example. An example that knows when its
 * cause must have happened passes a `FaultHint`: a redelivery was caused between the offset's
 * first read and its re-read, by a fault of a kind that makes consumers read again (a consumer
 * crash before a broker pause) and preferably aimed at the consumer that read it first. Only when
 * no such fault lies in that window is the fault nearest to the window's start named.
 */
import type { FaultEvent } from '../history.js';
import type { AnomalyKind, Example, NearestFault } from './report.js';

interface Fault {
  ts: number;
  kind: string;
  target?: string;
}

export interface FaultHint {
  /** The cause lies in [from, to]; from NaN = not known. */
  from: number;
  to: number;
  /** Fault kinds that can cause the anomaly, the most direct first. */
  kinds: readonly string[];
  /** Among those, a fault aimed at this target is preferred. */
  target?: string;
}

/** What makes a consumer group read offsets again: its member dying, or the coordinator. */
export const REDELIVERY_CAUSES = ['consumer-crash', 'broker-kill', 'broker-restart', 'broker-pause'] as const;

export class ExampleBook {
  private readonly byKind = new Map<AnomalyKind, Example[]>();
  private readonly faults: Fault[] = [];

  constructor(private readonly limit: number) {}

  noteFault(e: FaultEvent): void {
    if (e.phase !== 'start') return;
    const f = { ts: e.ts, kind: e.kind, target: e.target };
    // Faults arrive in time order; keep the list sorted if one does not.
    let i = this.faults.length;
    while (i > 0 && this.faults[i - 1].ts > f.ts) i--;
    this.faults.splice(i, 0, f);
  }

  faultCounts(): { kind: string; count: number }[] {
    const counts = new Map<string, number>();
    for (const f of this.faults) counts.set(f.kind, (counts.get(f.kind) ?? 0) + 1);
    return [...counts].map(([kind, count]) => ({ kind, count }));
  }

  /** Whether another example of `kind` would be kept (callers skip building it otherwise). */
  wants(kind: AnomalyKind): boolean {
    return (this.byKind.get(kind)?.length ?? 0) < this.limit;
  }

  add(kind: AnomalyKind, ex: Example, hint?: FaultHint): void {
    let list = this.byKind.get(kind);
    if (!list) {
      list = [];
      this.byKind.set(kind, list);
    }
    if (list.length >= this.limit) return;
    if (ex.ts !== undefined && !Number.isNaN(ex.ts)) {
      const f =
        (hint && this.cause(hint)) ?? this.closest(hint && !Number.isNaN(hint.from) ? hint.from : ex.ts);
      if (f) ex.nearestFault = describe(f, ex.ts);
    } else delete ex.ts;
    list.push(ex);
  }

  all(): Partial<Record<AnomalyKind, Example[]>> {
    return Object.fromEntries(this.byKind);
  }

  private closest(ts: number): Fault | undefined {
    const f = this.faults;
    if (f.length === 0) return undefined;
    const lo = this.firstAtOrAfter(ts);
    const candidates = [f[lo - 1], f[lo]].filter((x) => x !== undefined);
    return candidates.reduce((a, b) => (Math.abs(b.ts - ts) < Math.abs(a.ts - ts) ? b : a));
  }

  /**
   * The fault in [from, to] of the most direct kind, aimed at the target if one is, the earliest
   * of equals (the first thing to go wrong after the first read).
   */
  private cause(h: FaultHint): Fault | undefined {
    if (Number.isNaN(h.from)) return undefined;
    let best: Fault | undefined;
    let bestRank = Number.POSITIVE_INFINITY;
    for (let i = this.firstAtOrAfter(h.from); i < this.faults.length && this.faults[i].ts <= h.to; i++) {
      const f = this.faults[i];
      const k = h.kinds.indexOf(f.kind);
      if (k < 0) continue;
      const rank = 2 * k + (h.target !== undefined && f.target === h.target ? 0 : 1);
      if (rank < bestRank) {
        best = f;
        bestRank = rank;
      }
    }
    return best;
  }

  private firstAtOrAfter(ts: number): number {
    const f = this.faults;
    let lo = 0;
    let hi = f.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (f[mid].ts < ts) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function describe(f: Fault, ts: number): NearestFault {
  const out: NearestFault = { kind: f.kind, ts: f.ts, deltaMs: Math.round(ts - f.ts) };
  if (f.target) out.target = f.target;
  return out;
}
