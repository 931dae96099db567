/**
 * Examples of each anomaly kind, up to a limit per kind (Infinity for `--all`), each with the
 * injected fault nearest in time. Faults are few, so they are kept in a sorted list.
 */
import type { FaultEvent } from '../history.js';
import type { AnomalyKind, Example, NearestFault } from './report.js';

export class ExampleBook {
  private readonly byKind = new Map<AnomalyKind, Example[]>();
  private readonly faults: { ts: number; kind: string; target?: string }[] = [];

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

  add(kind: AnomalyKind, ex: Example): void {
    let list = this.byKind.get(kind);
    if (!list) {
      list = [];
      this.byKind.set(kind, list);
    }
    if (list.length >= this.limit) return;
    if (ex.ts !== undefined && !Number.isNaN(ex.ts)) {
      const nearest = this.nearest(ex.ts);
      if (nearest) ex.nearestFault = nearest;
    } else delete ex.ts;
    list.push(ex);
  }

  nearest(ts: number): NearestFault | undefined {
    const f = this.faults;
    if (f.length === 0) return undefined;
    let lo = 0;
    let hi = f.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (f[mid].ts < ts) lo = mid + 1;
      else hi = mid;
    }
    const candidates = [f[lo - 1], f[lo]].filter((x) => x !== undefined);
    const best = candidates.reduce((a, b) => (Math.abs(b.ts - ts) < Math.abs(a.ts - ts) ? b : a));
    const out: NearestFault = { kind: best.kind, ts: best.ts, deltaMs: Math.round(ts - best.ts) };
    if (best.target) out.target = best.target;
    return out;
  }

  all(): Partial<Record<AnomalyKind, Example[]>> {
    return Object.fromEntries(this.byKind);
  }
}
