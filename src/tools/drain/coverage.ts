/**
 * Which offsets of which partitions were handled (processed or dead-lettered), as runs of
 * consecutive offsets: the drain's own at-least-once check, exact per message and small to ship
 * between threads (a partition consumed in order is one run per consumer and rebalance).
 *
 * `OffsetRuns` records in processing order and extends its last run when offsets follow on;
 * `coverageOf` merges every worker's runs: the union, how many handlings were repeats
 * (redeliveries after a rebalance or a stop mid-batch), and the gaps left inside a range that
 * should have been handled completely.
 */

/** Per partition: [from, to) runs, in the order they were recorded (they may overlap). */
export type PartitionRuns = Record<number, number[][]>;

export class OffsetRuns {
  private readonly runs = new Map<number, number[][]>();
  private readonly last = new Map<number, number[]>();

  add(partition: number, offset: number): void {
    this.addRange(partition, offset, offset + 1);
  }

  /** Offsets [from, to), handled in that order. */
  addRange(partition: number, from: number, to: number): void {
    const run = this.last.get(partition);
    if (run && run[1] === from) {
      run[1] = to;
      return;
    }
    const fresh = [from, to];
    const list = this.runs.get(partition);
    if (list) list.push(fresh);
    else this.runs.set(partition, [fresh]);
    this.last.set(partition, fresh);
  }

  /** One past the highest offset handled, per partition. */
  positions(): Record<number, number> {
    const out: Record<number, number> = {};
    for (const [p, list] of this.runs) out[p] = Math.max(...list.map((r) => r[1]));
    return out;
  }

  toJSON(): PartitionRuns {
    const out: PartitionRuns = {};
    for (const [p, list] of this.runs) out[p] = list.map((r) => [r[0], r[1]]);
    return out;
  }
}

export interface PartitionCoverage {
  partition: number;
  /** Offsets handled at least once (size of the union). */
  handled: number;
  /** Handlings beyond the first. */
  repeats: number;
  /** [from, to) ranges of `expected` never handled. */
  gaps: number[][];
}

export interface Coverage {
  handled: number;
  repeats: number;
  partitions: PartitionCoverage[];
  /** Offsets of the expected ranges never handled, in total. */
  missing: number;
}

/** Merges runs and checks them against the expected [from, to) range per partition. */
export function coverageOf(
  all: readonly PartitionRuns[],
  expected: ReadonlyMap<number, readonly [number, number]>,
): Coverage {
  const byPartition = new Map<number, number[][]>();
  for (const runs of all) {
    for (const [p, list] of Object.entries(runs)) {
      const into = byPartition.get(Number(p)) ?? [];
      into.push(...list);
      byPartition.set(Number(p), into);
    }
  }
  const ids = new Set([...byPartition.keys(), ...expected.keys()]);
  const partitions: PartitionCoverage[] = [];
  for (const p of [...ids].sort((a, b) => a - b)) {
    const list = (byPartition.get(p) ?? []).slice().sort((a, b) => a[0] - b[0]);
    let total = 0;
    const union: number[][] = [];
    for (const [from, to] of list) {
      total += to - from;
      const tail = union.at(-1);
      if (tail && from <= tail[1]) tail[1] = Math.max(tail[1], to);
      else union.push([from, to]);
    }
    const handled = union.reduce((a, r) => a + r[1] - r[0], 0);
    const range = expected.get(p);
    partitions.push({
      partition: p,
      handled,
      repeats: total - handled,
      gaps: range ? gapsIn(union, range[0], range[1]) : [],
    });
  }
  const sum = (f: (c: PartitionCoverage) => number) => partitions.reduce((a, c) => a + f(c), 0);
  return {
    handled: sum((c) => c.handled),
    repeats: sum((c) => c.repeats),
    partitions,
    missing: sum((c) => c.gaps.reduce((a, g) => a + g[1] - g[0], 0)),
  };
}

/** Parts of [from, to) not covered by `union` (sorted, disjoint). */
function gapsIn(union: readonly number[][], from: number, to: number): number[][] {
  const gaps: number[][] = [];
  let at = from;
  for (const [a, b] of union) {
    if (b <= at) continue;
    if (a >= to) break;
    if (a > at) gaps.push([at, Math.min(a, to)]);
    at = Math.max(at, b);
    if (at >= to) break;
  }
  if (at < to) gaps.push([at, to]);
  return gaps;
}
