/**
 * A worker's history events on their way to the runner: batched (every 20 ms, or 2 000 events)
 * so a fast producer does not post a message per event, flushed at once when asked (commits,
 * assignments, before a crash).
 */
import type { MessagePort } from 'node:worker_threads';
import type { HistoryEvent } from './history.js';
import type { HistorySink } from './history-file.js';
import type { WorkerEvent } from './worker-messages.js';

export class Outbox implements HistorySink {
  private events: HistoryEvent[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly port: MessagePort,
    private readonly maxEvents = 2000,
    private readonly maxDelayMs = 20,
  ) {}

  write(e: HistoryEvent): void {
    this.events.push(e);
    if (this.events.length >= this.maxEvents) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.maxDelayMs);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.events.length === 0) return;
    const msg: WorkerEvent = { type: 'events', events: this.events };
    this.events = [];
    this.port.postMessage(msg);
  }

  post(e: WorkerEvent): void {
    this.flush();
    this.port.postMessage(e);
  }
}
