/**
 * Where bench producers and consumers run: piscina worker threads (the real thing), or inline in
 * the calling thread (for unit tests of the runner with the in-process driver). Either way each
 * worker gets a MessagePort, and the runner talks to it through a WorkerHandle.
 *
 * Threads load compiled JavaScript: beside this module when it runs from `dist/`, and from the
 * package's `dist/` when it runs from TypeScript sources (tests), which needs `npm run build`.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { packageRoot } from '../package-root.js';
import type { ConsumerTask, ProducerTask, WorkerCommand, WorkerEvent, WorkerReport } from './messages.js';

export type WorkerKind = 'producer' | 'consumer';
export type ThreadMode = 'threads' | 'inline';

type TaskOf<K extends WorkerKind> = Omit<K extends 'producer' ? ProducerTask : ConsumerTask, 'port'>;

/** A worker that could not start or failed: the run cannot go on. */
export class BenchWorkerError extends Error {
  override name = 'BenchWorkerError';
}

export function benchWorkerFile(kind: WorkerKind): string {
  const file = `${kind}-worker.js`;
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return path.join(path.dirname(here), file);
  const compiled = path.join(packageRoot(), 'dist', 'src', 'tools', 'bench', file);
  if (!existsSync(compiled)) {
    throw new BenchWorkerError(
      `bench workers run compiled code and ${compiled} is missing: run npm run build`,
    );
  }
  return compiled;
}

export class WorkerHandle {
  readonly ready: Promise<void>;
  /** The worker's final report (cumulative counters, histograms since its last report). */
  readonly done: Promise<WorkerReport>;
  private readonly waiting = new Map<number, (r: WorkerReport) => void>();
  private nextId = 1;
  private finished = false;
  private final: WorkerReport | null = null;
  private finalTaken = false;

  constructor(
    readonly kind: WorkerKind,
    readonly id: number,
    private readonly port: MessagePort,
    result: Promise<WorkerReport>,
  ) {
    let readyOk!: () => void;
    let readyFail!: (e: Error) => void;
    this.ready = new Promise<void>((resolve, reject) => {
      readyOk = resolve;
      readyFail = reject;
    });
    port.on('message', (e: WorkerEvent) => {
      if (e.type === 'ready') readyOk();
      else if (e.type === 'failed') readyFail(new BenchWorkerError(e.message));
      else if (e.type === 'report') {
        this.waiting.get(e.id)?.(e.report);
        this.waiting.delete(e.id);
      }
    });
    this.done = result.then(
      (r) => {
        this.finished = true;
        this.final = r;
        this.port.close();
        return r;
      },
      (err: Error) => {
        this.finished = true;
        this.port.close();
        const e = new BenchWorkerError(`${kind} ${id} failed: ${err.message}`);
        readyFail(e);
        throw e;
      },
    );
    this.ready.catch(() => {});
    this.done.catch(() => {});
  }

  send(cmd: WorkerCommand): void {
    if (!this.finished) this.port.postMessage(cmd);
  }

  /**
   * The worker's report now; once it has finished, its final one — with its histograms the first
   * time only, so that collecting again never counts a latency twice.
   */
  report(): Promise<WorkerReport> {
    if (this.finished) return this.done.then(() => this.takeFinal());
    const id = this.nextId++;
    return Promise.race([
      new Promise<WorkerReport>((resolve) => {
        this.waiting.set(id, resolve);
        this.send({ type: 'report', id });
      }),
      this.done.then(() => this.takeFinal()),
    ]);
  }

  private takeFinal(): WorkerReport {
    const r = this.final!;
    if (!this.finalTaken) {
      this.finalTaken = true;
      return r;
    }
    const none = { warmup: '', measured: '' };
    return r.kind === 'producer'
      ? { ...r, publishLatency: none, publishDelay: none }
      : { ...r, endToEnd: none };
  }

  /** Asks it to stop and waits until it has (its final report is then taken with report()). */
  async stop(): Promise<void> {
    this.send({ type: 'stop' });
    await this.done;
  }
}

export interface BenchWorkerPool {
  spawn<K extends WorkerKind>(kind: K, task: TaskOf<K>): WorkerHandle;
  close(): Promise<void>;
}

export function createWorkerPool(mode: ThreadMode, threads: number): BenchWorkerPool {
  return mode === 'threads' ? new ThreadPool(threads) : new InlinePool();
}

class ThreadPool implements BenchWorkerPool {
  private readonly piscina: Piscina;
  private readonly files: Record<WorkerKind, string>;

  constructor(threads: number) {
    this.files = { producer: benchWorkerFile('producer'), consumer: benchWorkerFile('consumer') };
    // Every task lives for the whole run, so one thread per task, all started up front.
    this.piscina = new Piscina({
      minThreads: threads,
      maxThreads: threads,
      concurrentTasksPerWorker: 1,
      idleTimeout: 60_000,
      atomics: 'disabled',
    });
  }

  spawn<K extends WorkerKind>(kind: K, task: TaskOf<K>): WorkerHandle {
    const { port1, port2 } = new MessageChannel();
    const result = this.piscina.run(
      { ...task, port: port2 },
      { filename: this.files[kind], transferList: [port2] },
    );
    return new WorkerHandle(kind, task.id, port1, result as Promise<WorkerReport>);
  }

  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}

class InlinePool implements BenchWorkerPool {
  spawn<K extends WorkerKind>(kind: K, task: TaskOf<K>): WorkerHandle {
    const { port1, port2 } = new MessageChannel();
    const result = (async () => {
      const mod =
        kind === 'producer' ? await import('./producer-worker.js') : await import('./consumer-worker.js');
      return (mod.default as (t: unknown) => Promise<WorkerReport>)({ ...task, port: port2 });
    })();
    return new WorkerHandle(kind, task.id, port1, result);
  }

  async close(): Promise<void> {}
}
