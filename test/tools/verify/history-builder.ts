/**
 * Writes histories for checker tests: a tiny simulated log (offsets given out per partition)
 * and one method per event type, with a clock that moves 1 ms per event.
 */
import type { Guarantee, HistoryEvent, MetaEvent } from '../../../src/tools/verify/history.js';

export type Rec = [offset: number, producer: number, seq: number];

export class HistoryBuilder {
  readonly events: HistoryEvent[] = [];
  private clock = 0;
  /** Per partition: the (producer, seq) at each offset, as written to the simulated log. */
  readonly log = new Map<number, [number, number][]>();

  constructor(meta: Partial<MetaEvent> = {}) {
    this.events.push({ t: 'meta', v: 1, at: '2024-01-01T00:00:00.000Z', partitions: 2, ...meta });
  }

  private ts(): number {
    return ++this.clock;
  }

  send(p: number, s: number, n = 1, pt?: number): this {
    this.events.push({ t: 'send', ts: this.ts(), p, s, n, ...(pt === undefined ? {} : { pt }) });
    return this;
  }

  ok(p: number, s: number, n: number, pt: number, o: number): this {
    this.events.push({ t: 'ok', ts: this.ts(), p, s, n, pt, o });
    return this;
  }

  info(p: number, s: number, n = 1): this {
    this.events.push({ t: 'info', ts: this.ts(), p, s, n, e: 'timeout' });
    return this;
  }

  fail(p: number, s: number, n = 1): this {
    this.events.push({ t: 'fail', ts: this.ts(), p, s, n, e: 'rejected' });
    return this;
  }

  /** Appends to the simulated log; returns the first offset. */
  write(pt: number, p: number, s: number, n = 1): number {
    let l = this.log.get(pt);
    if (!l) {
      l = [];
      this.log.set(pt, l);
    }
    const first = l.length;
    for (let i = 0; i < n; i++) l.push([p, s + i]);
    return first;
  }

  /** send + write + ok: n messages acknowledged at the end of partition pt. */
  produce(p: number, s: number, n: number, pt: number): this {
    this.send(p, s, n, pt);
    const o = this.write(pt, p, s, n);
    return this.ok(p, s, n, pt, o);
  }

  /** The simulated log's records of pt in [from, to). */
  records(pt: number, from = 0, to = Number.POSITIVE_INFINITY): Rec[] {
    const l = this.log.get(pt) ?? [];
    const out: Rec[] = [];
    for (let o = from; o < Math.min(to, l.length); o++) out.push([o, l[o][0], l[o][1]]);
    return out;
  }

  read(c: string, pt: number, recs: Rec[], keys?: (string | null)[]): this {
    if (recs.length === 0) return this;
    this.events.push({ t: 'read', ts: this.ts(), c, pt, r: recs.flat(), ...(keys ? { k: keys } : {}) });
    return this;
  }

  commit(c: string, pt: number, o: number, ok = true): this {
    this.events.push({ t: 'commit', ts: this.ts(), c, pt, o, ...(ok ? {} : { ok: false }) });
    return this;
  }

  assign(c: string, pts: number[]): this {
    this.events.push({ t: 'assign', ts: this.ts(), c, pts });
    return this;
  }

  revoke(c: string, pts: number[]): this {
    this.events.push({ t: 'revoke', ts: this.ts(), c, pts });
    return this;
  }

  fault(kind: string, target?: string): this {
    this.events.push({ t: 'fault', ts: this.ts(), kind, phase: 'start', ...(target ? { target } : {}) });
    return this;
  }

  /** The final drain: reads every partition of the simulated log to its end. */
  drain(partitions: number[] = [...this.log.keys()], stopAt?: Map<number, number>): this {
    for (const pt of partitions) {
      const end = this.log.get(pt)?.length ?? 0;
      const reached = Math.min(end, stopAt?.get(pt) ?? end);
      this.read('drain', pt, this.records(pt, 0, reached));
      this.events.push({ t: 'drain', ts: this.ts(), pt, end, reached });
    }
    return this;
  }

  end(): HistoryEvent[] {
    this.events.push({ t: 'end', ts: this.ts() });
    return this.events;
  }
}

export function meta(expect: Guarantee, extra: Partial<MetaEvent> = {}): Partial<MetaEvent> {
  return { expect, ...extra };
}
