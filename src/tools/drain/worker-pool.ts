/**
 * The drain's worker threads (piscina): consumers and fan-out dispatchers from this directory,
 * and — for `--produce-rate` — bench's own producer worker, so arrivals during a drill are
 * produced, stamped and paced exactly as `mq bench` does. Every task lives for the whole drain:
 * one thread per task, all started up front.
 *
 * Threads load compiled JavaScript: beside this module when it runs from `dist/`, else from the
 * package's `dist/` (tests run sources), which needs `npm run build`.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { ProducerTask, WorkerReport } from '../bench/messages.js';
import { benchWorkerFile, WorkerHandle } from '../bench/worker-pool.js';
import { packageRoot } from '../package-root.js';
import type {
  DispatcherTask,
  DrainConsumerTask,
  DrainWorkerCommand,
  DrainWorkerEvent,
  DrainWorkerReport,
} from './messages.js';

export type DrainRole = 'consumer' | 'dispatcher';

/** A worker could not start or failed: the drain cannot go on. */
export class DrainWorkerError extends Error {
  override name = 'DrainWorkerError';
}

export function drainWorkerFile(role: DrainRole): string {
  const file = `${role}-worker.js`;
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return path.join(path.dirname(here), file);
  const compiled = path.join(packageRoot(), 'dist', 'src', 'tools', 'drain', file);
  if (!existsSync(compiled)) {
    throw new DrainWorkerError(
      `drain workers run compiled code and ${compiled} is missing: run npm run build`,
    );
  }
  return compiled;
}

/** How long a report asked for just before a worker finished may take to arrive. */
const LATE_REPLY_MS = 1000;

export class DrainWorkerHandle {
  /** Loaded and waiting for 'go'. */
  readonly loaded: Promise<void>;
  readonly ready: Promise<void>;
  /** The final report: counters, histograms since the last report, and the runs. */
  readonly done: Promise<DrainWorkerReport>;
  private readonly waiting = new Map<number, (r: DrainWorkerReport) => void>();
  private nextId = 1;
  private finished = false;
  private finalTaken = false;

  constructor(
    readonly role: DrainRole,
    readonly id: number,
    private readonly port: MessagePort,
    result: Promise<DrainWorkerReport>,
  ) {
    let loadedOk!: () => void;
    let readyOk!: () => void;
    let fail!: (e: Error) => void;
    const failed = new Promise<never>((_, reject) => {
      fail = reject;
    });
    this.loaded = Promise.race([new Promise<void>((r) => (loadedOk = r)), failed]);
    this.ready = Promise.race([new Promise<void>((r) => (readyOk = r)), failed]);
    failed.catch(() => {});
    port.on('message', (e: DrainWorkerEvent) => {
      if (e.type === 'loaded') loadedOk();
      else if (e.type === 'ready') readyOk();
      else if (e.type === 'failed') fail(new DrainWorkerError(e.message));
      else {
        this.waiting.get(e.id)?.(e.report);
        this.waiting.delete(e.id);
        if (this.finished && this.waiting.size === 0) port.close();
      }
    });
    this.done = result.then(
      (r) => {
        this.finished = true;
        this.closeWhenAnswered();
        return r;
      },
      (err: Error) => {
        this.finished = true;
        port.close();
        const e = new DrainWorkerError(`${role} ${id} failed: ${err.message}`);
        fail(e);
        throw e;
      },
    );
    this.loaded.catch(() => {});
    this.ready.catch(() => {});
    this.done.catch(() => {});
  }

  send(cmd: DrainWorkerCommand): void {
    if (!this.finished) this.port.postMessage(cmd);
  }

  /**
   * The report now; once finished, the final one (its read traces only the first time). A reply
   * the worker posted just before returning can arrive after its result: it is waited for (1 s at
   * most) and its traces kept, so none are lost at the end of a drain.
   */
  async report(): Promise<DrainWorkerReport> {
    if (this.finished) return this.takeFinal(await this.done);
    const id = this.nextId++;
    const reply = new Promise<DrainWorkerReport>((resolve) => {
      this.waiting.set(id, resolve);
      this.send({ type: 'report', id });
    });
    const first = await Promise.race([reply, this.done.then(() => null)]);
    if (first !== null) return first;
    let timer: NodeJS.Timeout | undefined;
    const late = await Promise.race([
      reply,
      new Promise<null>((r) => {
        timer = setTimeout(() => r(null), LATE_REPLY_MS);
      }),
    ]);
    clearTimeout(timer);
    this.waiting.delete(id);
    const final = this.takeFinal(await this.done);
    if (late === null || !late.reads?.length) return final;
    return { ...final, reads: [...late.reads, ...(final.reads ?? [])] };
  }

  async stop(): Promise<DrainWorkerReport> {
    this.send({ type: 'stop' });
    return this.done;
  }

  private takeFinal(r: DrainWorkerReport): DrainWorkerReport {
    if (!this.finalTaken) {
      this.finalTaken = true;
      return r;
    }
    // Histograms are cumulative: handing them out again adds nothing.
    return { ...r, reads: undefined };
  }

  /**
   * Closes the port once the replies asked for have come (the message handler closes it on the
   * last one), or after LATE_REPLY_MS.
   */
  private closeWhenAnswered(): void {
    if (this.waiting.size === 0) this.port.close();
    else setTimeout(() => this.port.close(), LATE_REPLY_MS).unref();
  }
}

export class DrainWorkerPool {
  private readonly piscina: Piscina;
  private readonly files: Record<DrainRole | 'producer', string>;

  constructor(threads: number) {
    this.files = {
      consumer: drainWorkerFile('consumer'),
      dispatcher: drainWorkerFile('dispatcher'),
      producer: benchWorkerFile('producer'),
    };
    this.piscina = new Piscina({
      minThreads: threads,
      maxThreads: threads,
      concurrentTasksPerWorker: 1,
      idleTimeout: 60_000,
      atomics: 'disabled',
    });
  }

  spawnConsumer(task: Omit<DrainConsumerTask, 'port'>): DrainWorkerHandle {
    return this.spawn('consumer', task);
  }

  spawnDispatcher(task: Omit<DispatcherTask, 'port'>): DrainWorkerHandle {
    return this.spawn('dispatcher', task);
  }

  /** bench's producer worker: started with a 'start' command carrying the rate. */
  spawnProducer(task: Omit<ProducerTask, 'port'>): WorkerHandle {
    const { port1, port2 } = new MessageChannel();
    const result = this.piscina.run(
      { ...task, port: port2 },
      { filename: this.files.producer, transferList: [port2] },
    ) as Promise<WorkerReport>;
    return new WorkerHandle('producer', task.id, port1, result);
  }

  async close(): Promise<void> {
    await this.piscina.destroy();
  }

  private spawn(role: DrainRole, task: object & { id: number }): DrainWorkerHandle {
    const { port1, port2 } = new MessageChannel();
    const result = this.piscina.run(
      { ...task, port: port2 },
      { filename: this.files[role], transferList: [port2] },
    ) as Promise<DrainWorkerReport>;
    return new DrainWorkerHandle(role, task.id, port1, result);
  }
}
