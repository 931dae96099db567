/**
 * Time for the group coordinator: the current time and one-shot timers, behind an interface so
 * the state machine can be driven by a fake clock in tests. Real timers are unref'd: a pending
 * session or rebalance timeout never keeps the process alive on its own.
 */

export interface Timer {
  cancel(): void;
}

export interface Scheduler {
  now(): number;
  /** Runs fn once after ms. */
  after(ms: number, fn: () => void): Timer;
}

export const realScheduler: Scheduler = {
  now: () => Date.now(),
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};
