/**
 * Fetch long-poll: a Fetch that found fewer than min_bytes waits here until an append reaches
 * one of its partitions or max_wait_ms passes (Kafka's delayed-fetch purgatory, in miniature).
 * Appends call notify(); waiters re-read on wake-up, so a spurious wake is harmless. A per-key
 * append counter closes the race between a read and the wait that follows it: wait() returns at
 * once if any key was appended to since the snapshot taken before the read.
 */

type Wake = () => void;

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export class FetchWaiters {
  private readonly byPartition = new Map<string, Set<Wake>>();
  private readonly appends = new Map<string, number>();

  snapshot(keys: string[]): number[] {
    return keys.map((k) => this.appends.get(k) ?? 0);
  }

  /** Resolves when any of the keys is appended to (or was since `seen`), after timeoutMs, or on wakeAll(). */
  wait(keys: string[], timeoutMs: number, seen?: number[]): Promise<void> {
    if (seen && keys.some((k, i) => (this.appends.get(k) ?? 0) !== seen[i])) return Promise.resolve();
    return new Promise((resolve) => {
      const wake: Wake = () => {
        clearTimeout(timer);
        for (const k of keys) {
          const set = this.byPartition.get(k);
          if (!set) continue;
          set.delete(wake);
          if (set.size === 0) this.byPartition.delete(k);
        }
        resolve();
      };
      const timer = setTimeout(wake, timeoutMs);
      for (const k of keys) {
        let set = this.byPartition.get(k);
        if (!set) {
          set = new Set();
          this.byPartition.set(k, set);
        }
        set.add(wake);
      }
    });
  }

  notify(key: string): void {
    this.appends.set(key, (this.appends.get(key) ?? 0) + 1);
    const set = this.byPartition.get(key);
    if (!set) return;
    for (const wake of [...set]) wake();
  }

  wakeAll(): void {
    for (const set of [...this.byPartition.values()]) for (const wake of [...set]) wake();
  }
}
