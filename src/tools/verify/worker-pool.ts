/**
 * Where verify-loss producers and consumers run: piscina worker threads (as bench's do), or
 * inline in this thread for tests with the in-process driver. Every worker's history events go
 * to one sink, in the order they arrive.
 *
 * A consumer is crashed by aborting its piscina task, which terminates its thread: its sockets
 * close and nothing more runs — no commit, no LeaveGroup. Inline, the same abort signal makes the
 * worker abandon its consumer at the crash point.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { packageRoot } from '../package-root.js';
import type { HistorySink } from './history-file.js';
import type {
  ConsumerTask,
  ProducerTask,
  WorkerCommand,
  WorkerEvent,
  WorkerSummary,
} from './worker-messages.js';

export type ThreadMode = 'threads' | 'inline';
type Kind = 'producer' | 'consumer';
type TaskOf<K extends Kind> = Omit<K extends 'producer' ? ProducerTask : ConsumerTask, 'port'>;

/** A worker could not start or failed: the run cannot go on. */
export class VerifyWorkerError extends Error {
  override name = 'VerifyWorkerError';
}

function workerFile(kind: Kind): string {
  const file = `${kind}-worker.js`;
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return path.join(path.dirname(here), file);
  const compiled = path.join(packageRoot(), 'dist', 'src', 'tools', 'verify', file);
  if (!existsSync(compiled))
    throw new VerifyWorkerError(
      `verify workers run compiled code and ${compiled} is missing: run npm run build`,
    );
  return compiled;
}

export class WorkerHandle {
  readonly ready: Promise<void>;
  readonly done: Promise<WorkerSummary>;
  /** Set when the worker reached its crash point and was killed. */
  crashed = false;
  private crashWaiter: (() => void) | null = null;
  private finished = false;

  constructor(
    readonly kind: Kind,
    readonly name: string,
    private readonly port: MessagePort,
    result: Promise<WorkerSummary>,
    private readonly abort: AbortController,
    sink: HistorySink,
    onFailure: (message: string) => void,
  ) {
    let ok!: () => void;
    let fail!: (e: Error) => void;
    this.ready = new Promise<void>((resolve, reject) => {
      ok = resolve;
      fail = reject;
    });
    this.ready.catch(() => {});
    let finished!: () => void;
    const lastMessage = new Promise<void>((r) => {
      finished = r;
    });
    port.on('message', (e: WorkerEvent) => {
      if (e.type === 'events') for (const ev of e.events) sink.write(ev);
      else if (e.type === 'ready') ok();
      else if (e.type === 'finished') finished();
      else if (e.type === 'crashing') this.kill();
      else if (e.type === 'failed') {
        fail(new VerifyWorkerError(e.message));
        onFailure(e.message);
      }
    });
    this.done = result.then(
      async (r) => {
        // Its port may still hold events: they are read before the port is closed.
        await Promise.race([lastMessage, new Promise((t) => setTimeout(t, 5000))]);
        this.finished = true;
        port.close();
        return r;
      },
      (err: Error) => {
        this.finished = true;
        port.close();
        if (this.crashed) return { sent: 0, acked: 0, errors: 0 };
        const e = new VerifyWorkerError(`${kind} ${name} failed: ${err.message}`);
        fail(e);
        throw e;
      },
    );
    this.done.catch(() => {});
  }

  send(cmd: WorkerCommand): void {
    if (!this.finished) this.port.postMessage(cmd);
  }

  /**
   * Crashes a consumer at its next point between processing and commit; resolves once it is
   * dead, or after `timeoutMs` (killing it wherever it is: a consumer that gets no batch has
   * nothing between processing and commit anyway).
   */
  async crash(timeoutMs: number): Promise<void> {
    const dead = new Promise<void>((resolve) => {
      this.crashWaiter = resolve;
    });
    this.send({ type: 'crash' });
    const timer = setTimeout(() => this.kill(), timeoutMs);
    await dead;
    clearTimeout(timer);
    await this.done.catch(() => {});
  }

  private kill(): void {
    if (this.crashed) return;
    this.crashed = true;
    this.abort.abort();
    this.crashWaiter?.();
  }

  async stop(): Promise<WorkerSummary> {
    this.send({ type: 'stop' });
    return this.done;
  }
}

export interface VerifyWorkerPool {
  spawn<K extends Kind>(kind: K, task: TaskOf<K>, name: string): WorkerHandle;
  close(): Promise<void>;
}

export function createVerifyPool(
  mode: ThreadMode,
  threads: number,
  sink: HistorySink,
  onFailure: (message: string) => void,
): VerifyWorkerPool {
  return mode === 'threads' ? new ThreadPool(threads, sink, onFailure) : new InlinePool(sink, onFailure);
}

class ThreadPool implements VerifyWorkerPool {
  private readonly piscina: Piscina;
  private readonly files = { producer: workerFile('producer'), consumer: workerFile('consumer') };

  constructor(
    threads: number,
    private readonly sink: HistorySink,
    private readonly onFailure: (message: string) => void,
  ) {
    this.piscina = new Piscina({
      minThreads: 1,
      maxThreads: threads,
      concurrentTasksPerWorker: 1,
      idleTimeout: 60_000,
      atomics: 'disabled',
    });
  }

  spawn<K extends Kind>(kind: K, task: TaskOf<K>, name: string): WorkerHandle {
    const { port1, port2 } = new MessageChannel();
    const abort = new AbortController();
    const result = this.piscina.run(
      { ...task, port: port2 },
      { filename: this.files[kind], transferList: [port2], signal: abort.signal },
    ) as Promise<WorkerSummary>;
    return new WorkerHandle(kind, name, port1, result, abort, this.sink, this.onFailure);
  }

  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}

class InlinePool implements VerifyWorkerPool {
  constructor(
    private readonly sink: HistorySink,
    private readonly onFailure: (message: string) => void,
  ) {}

  spawn<K extends Kind>(kind: K, task: TaskOf<K>, name: string): WorkerHandle {
    const { port1, port2 } = new MessageChannel();
    const abort = new AbortController();
    const result = (async () => {
      if (kind === 'producer') {
        const mod = await import('./producer-worker.js');
        return mod.default({ ...(task as TaskOf<'producer'>), port: port2 });
      }
      const mod = await import('./consumer-worker.js');
      return mod.default({ ...(task as TaskOf<'consumer'>), port: port2 }, { signal: abort.signal });
    })();
    return new WorkerHandle(kind, name, port1, result, abort, this.sink, this.onFailure);
  }

  async close(): Promise<void> {}
}
