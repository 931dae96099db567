/**
 * What every drain worker thread shares: answering the runner over its port, the stop signal,
 * pause/resume for dispatchers, and periodic commits that never overlap.
 */
import type { MessagePort } from 'node:worker_threads';
import type { ConsumerDriver } from '../../drivers/driver.js';
import type { DrainWorkerCommand, DrainWorkerEvent, DrainWorkerReport } from './messages.js';

export class WorkerLink {
  stopping = false;
  paused = false;
  readonly stopped: Promise<void>;
  /** Resolves on 'go' (or stop). */
  readonly go: Promise<void>;
  private stop!: () => void;
  private goNow!: () => void;
  private resumed: (() => void) | null = null;

  constructor(
    private readonly port: MessagePort,
    report: () => DrainWorkerReport,
  ) {
    this.stopped = new Promise<void>((r) => {
      this.stop = r;
    });
    this.go = new Promise<void>((r) => {
      this.goNow = r;
    });
    port.on('message', (cmd: DrainWorkerCommand) => {
      if (cmd.type === 'go') this.goNow();
      else if (cmd.type === 'report') this.post({ type: 'report', id: cmd.id, report: report() });
      else if (cmd.type === 'pause') this.paused = true;
      else if (cmd.type === 'resume') this.wake(false);
      else if (cmd.type === 'stop') {
        this.stopping = true;
        this.wake(false);
        this.goNow();
        this.stop();
      }
    });
  }

  post(e: DrainWorkerEvent): void {
    this.port.postMessage(e);
  }

  /** Resolves when not paused (at once, or on resume or stop). */
  async whilePaused(): Promise<void> {
    while (this.paused && !this.stopping) {
      await new Promise<void>((r) => {
        this.resumed = r;
      });
    }
  }

  close(): void {
    this.port.close();
  }

  private wake(paused: boolean): void {
    this.paused = paused;
    const r = this.resumed;
    this.resumed = null;
    r?.();
  }
}

/**
 * The end of a worker's life once stopped: the last periodic commit, then closing the consumer
 * (which commits what was processed and leaves the group); returns why closing failed, if it did.
 */
export async function closeConsumer(
  commits: PeriodicCommits,
  consumer: ConsumerDriver,
): Promise<string | undefined> {
  await commits.flush();
  return consumer.close().then(
    () => undefined,
    (err: Error) => `close: ${err.message}`,
  );
}

/** Commits every `intervalMs` (one at a time); `flush()` stops the timer and waits for the last. */
export class PeriodicCommits {
  count = 0;
  lastError: string | undefined;
  private running: Promise<void> | null = null;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly consumer: ConsumerDriver,
    intervalMs: number,
  ) {
    this.timer = setInterval(() => {
      this.now();
    }, intervalMs);
  }

  now(): Promise<void> {
    this.running ??= this.consumer
      .commit()
      .then(
        () => {
          this.count++;
        },
        (err: Error) => {
          this.lastError = `commit: ${err.message}`;
        },
      )
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  async flush(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
