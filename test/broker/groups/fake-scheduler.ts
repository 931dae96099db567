/** A manual clock for the group state machine: timers fire only when a test advances time. */
import type { Scheduler, Timer } from '../../../src/broker/groups/scheduler.js';

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

export class FakeScheduler implements Scheduler {
  private time = 0;
  private seq = 0;
  private timers: Pending[] = [];

  now(): number {
    return this.time;
  }

  after(ms: number, fn: () => void): Timer {
    const t: Pending = { at: this.time + ms, seq: this.seq++, fn, cancelled: false };
    this.timers.push(t);
    return {
      cancel: () => {
        t.cancelled = true;
      },
    };
  }

  /** Moves time forward, firing due timers in time order (including ones they schedule). */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = this.timers
        .filter((t) => !t.cancelled && t.at <= end)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      due.cancelled = true;
      this.time = due.at;
      due.fn();
    }
    this.time = end;
    this.timers = this.timers.filter((t) => !t.cancelled);
  }

  get activeTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }
}
