/**
 * A set of integers kept as sorted, disjoint, non-adjacent half-open ranges [start, end).
 *
 * What the checker tracks per partition (offsets read, offsets in conflict) is almost always one
 * range with a few transient holes, so memory follows the holes, not the number of integers.
 * Adding at or after the end, the common case, is O(1); elsewhere it is a binary search and a
 * splice over the ranges.
 */
export class RangeSet {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private total = 0;

  /** Integers in the set. */
  get size(): number {
    return this.total;
  }

  get rangeCount(): number {
    return this.starts.length;
  }

  /** One past the largest member, or -Infinity when empty. */
  get max(): number {
    return this.ends.length === 0 ? Number.NEGATIVE_INFINITY : this.ends[this.ends.length - 1];
  }

  /** Adds [a, b); returns how many of its integers were not in the set before. */
  add(a: number, b: number): number {
    if (b <= a) return 0;
    const s = this.starts;
    const e = this.ends;
    const n = s.length;
    if (n === 0 || a > e[n - 1]) {
      s.push(a);
      e.push(b);
      this.total += b - a;
      return b - a;
    }
    if (a >= s[n - 1]) {
      // Overlaps or touches the last range only.
      const added = Math.max(0, b - e[n - 1]);
      if (added > 0) e[n - 1] = b;
      this.total += added;
      return added;
    }
    // First range that ends at or after a (touching counts), last that starts at or before b.
    const i = this.firstEndingAtOrAfter(a);
    let j = i - 1;
    while (j + 1 < n && s[j + 1] <= b) j++;
    if (j < i) {
      s.splice(i, 0, a);
      e.splice(i, 0, b);
      this.total += b - a;
      return b - a;
    }
    let covered = 0;
    for (let k = i; k <= j; k++) covered += Math.min(e[k], b) - Math.max(s[k], a);
    const start = Math.min(a, s[i]);
    const end = Math.max(b, e[j]);
    s.splice(i, j - i + 1, start);
    e.splice(i, j - i + 1, end);
    const added = b - a - Math.max(0, covered);
    this.total += added;
    return added;
  }

  has(x: number): boolean {
    const i = this.firstEndingAtOrAfter(x + 1);
    return i < this.starts.length && this.starts[i] <= x;
  }

  /** How many integers of [a, b) are in the set. */
  countIn(a: number, b: number): number {
    if (b <= a) return 0;
    let count = 0;
    for (let i = this.firstEndingAtOrAfter(a + 1); i < this.starts.length && this.starts[i] < b; i++) {
      count += Math.min(this.ends[i], b) - Math.max(this.starts[i], a);
    }
    return count;
  }

  /** Calls `cb` for each maximal sub-range of [a, b) that is NOT in the set. */
  gaps(a: number, b: number, cb: (from: number, to: number) => void): void {
    let at = a;
    for (let i = this.firstEndingAtOrAfter(a + 1); i < this.starts.length && this.starts[i] < b; i++) {
      if (this.starts[i] > at) cb(at, this.starts[i]);
      at = Math.max(at, this.ends[i]);
    }
    if (at < b) cb(at, b);
  }

  /** The ranges, in order. */
  *ranges(): IterableIterator<[number, number]> {
    for (let i = 0; i < this.starts.length; i++) yield [this.starts[i], this.ends[i]];
  }

  private firstEndingAtOrAfter(x: number): number {
    const e = this.ends;
    let lo = 0;
    let hi = e.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (e[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
