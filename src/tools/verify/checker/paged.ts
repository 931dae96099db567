/**
 * Dense per-integer state in fixed-size typed-array pages, allocated on first touch: a few bits
 * or bytes per producer sequence number or per partition offset, never an object per message.
 * Sparse keys (a producer numbering from 10^9) cost one page per 8192 keys actually used.
 */
const PAGE_BITS = 13;
const PAGE_SIZE = 1 << PAGE_BITS;
const MASK = PAGE_SIZE - 1;

type Typed = Uint8Array | Uint16Array | Uint32Array | Float32Array;

abstract class Paged<A extends Typed> {
  private readonly pages = new Map<number, A>();
  private lastIndex = -1;
  private lastPage: A | null = null;
  /** Smallest and one past the largest key ever set. */
  min = Number.POSITIVE_INFINITY;
  end = Number.NEGATIVE_INFINITY;

  protected abstract make(): A;
  /** What get() answers for a key on a page never touched. */
  protected readonly missing: number = 0;

  get(key: number): number {
    const page = this.page(key, false);
    return page ? page[key & MASK] : this.missing;
  }

  set(key: number, value: number): void {
    this.page(key, true)![key & MASK] = value;
    if (key < this.min) this.min = key;
    if (key + 1 > this.end) this.end = key + 1;
  }

  /** Pages in key order, with the key of their first slot. */
  *allPages(): IterableIterator<[number, A]> {
    for (const index of [...this.pages.keys()].sort((a, b) => a - b)) {
      yield [index * PAGE_SIZE, this.pages.get(index)!];
    }
  }

  protected page(key: number, create: boolean): A | null {
    const index = Math.floor(key / PAGE_SIZE);
    if (index === this.lastIndex) return this.lastPage;
    let p = this.pages.get(index) ?? null;
    if (!p) {
      if (!create) return null;
      p = this.make();
      this.pages.set(index, p);
    }
    this.lastIndex = index;
    this.lastPage = p;
    return p;
  }
}

export class PagedBytes extends Paged<Uint8Array> {
  protected make(): Uint8Array {
    return new Uint8Array(PAGE_SIZE);
  }

  /** Sets bits and returns the old value. */
  or(key: number, bits: number): number {
    const p = this.page(key, true)!;
    const i = key & MASK;
    const old = p[i];
    p[i] = old | bits;
    if (key < this.min) this.min = key;
    if (key + 1 > this.end) this.end = key + 1;
    return old;
  }
}

export class PagedU16 extends Paged<Uint16Array> {
  protected make(): Uint16Array {
    return new Uint16Array(PAGE_SIZE);
  }
}

export class PagedU32 extends Paged<Uint32Array> {
  protected make(): Uint32Array {
    return new Uint32Array(PAGE_SIZE);
  }
}

export const PAGE = PAGE_SIZE;

class PagedF32 extends Paged<Float32Array> {
  protected override readonly missing = Number.NaN;
  protected make(): Float32Array {
    return new Float32Array(PAGE_SIZE).fill(Number.NaN);
  }
}

/**
 * A coarse clock over sequence numbers (or offsets): the time of the first event seen for each
 * block of `block` of them (default 64). Good enough to name the fault nearest to a lost
 * message, at 1/16 byte per message.
 */
export class SeqClock {
  private readonly times = new PagedF32();

  constructor(private readonly block = 64) {}

  note(seq: number, ts: number): void {
    const block = Math.floor(seq / this.block);
    if (Number.isNaN(this.times.get(block))) this.times.set(block, ts);
  }

  /** The time noted for seq's block, or NaN. */
  at(seq: number): number {
    return this.times.get(Math.floor(seq / this.block));
  }
}
