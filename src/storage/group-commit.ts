/**
 * GroupCommit: many "make my write durable" requests, few fdatasyncs.
 *
 * Invariant: a request is answered by a sync that STARTED after the request was made, so it
 * covers the caller's write. A request made while a sync is in flight joins the next one, which
 * starts when the current one ends; all requests made in the meantime share it. The first sync
 * of a quiet period starts on setImmediate, after the appends of the current I/O phase (one read
 * from each socket) were made, so they share it too. Under load that is one fdatasync per fsync
 * latency, however many appends arrive.
 */

interface Waiters {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

function waiters(): Waiters {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // acks=0 produces never look at the result; a failure is reported by the log, not as an
  // unhandled rejection that would end the process.
  promise.catch(() => {});
  return { promise, resolve, reject };
}

export class GroupCommit {
  private next: Waiters | null = null;
  private running: Promise<void> | null = null;
  private scheduled = false;
  /** Syncs started so far. */
  syncs = 0;

  constructor(private readonly sync: () => Promise<void>) {}

  /** Resolves after a sync that started after this call; rejects with that sync's error. */
  request(): Promise<void> {
    if (this.next === null) {
      this.next = waiters();
      if (this.running === null && !this.scheduled) {
        this.scheduled = true;
        setImmediate(this.start);
      }
    }
    return this.next.promise;
  }

  /** Resolves when no sync is running or waiting to run (errors are the requesters' to see). */
  async drain(): Promise<void> {
    while (this.running !== null || this.next !== null) {
      await (this.next?.promise ?? this.running)?.catch(() => {});
    }
  }

  private readonly start = (): void => {
    this.scheduled = false;
    const batch = this.next;
    if (batch === null || this.running !== null) return;
    this.next = null;
    this.syncs++;
    this.running = Promise.resolve().then(this.sync).then(batch.resolve, batch.reject);
    this.running.then(() => {
      this.running = null;
      if (this.next !== null) this.start();
    });
  };
}
