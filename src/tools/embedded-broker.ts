/**
 * An `mq serve` child process on loopback, for tools that run against the embedded broker and
 * for tests: temp data dir (unless given), port 0, waits for the JSON ready line. kill() is a
 * real SIGKILL (no flush, no clean-shutdown marker); restart() reuses the same data dir and port.
 * The child runs in its own process group and stops when this process goes away (stdin closes).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { execa, type ResultPromise } from 'execa';
import { cliEntry } from './package-root.js';

export interface EmbeddedBrokerOptions {
  dataDir?: string;
  flush?: string;
  port?: number;
  defaultPartitions?: number;
  logLevel?: string;
  extraArgs?: string[];
  /** Where the broker's stderr goes; by default it is kept (last 64 KiB) for error messages. */
  stderr?: 'pipe' | 'inherit' | 'ignore';
  readyTimeoutMs?: number;
}

export interface ReadyLine {
  event: 'ready';
  host: string;
  port: number;
  dataDir: string;
  flush: string;
  pid: number;
}

export class EmbeddedBroker {
  private proc: ResultPromise | null = null;
  private stderrTail = '';
  ready: ReadyLine | null = null;

  private constructor(
    readonly dataDir: string,
    private readonly ownsDataDir: boolean,
    private readonly opts: EmbeddedBrokerOptions,
  ) {}

  static async start(opts: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
    const owns = !opts.dataDir;
    const dataDir = opts.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'mq-broker-')));
    const b = new EmbeddedBroker(dataDir, owns, opts);
    await b.spawn(opts.port ?? 0);
    return b;
  }

  get port(): number {
    if (!this.ready) throw new Error('broker not running');
    return this.ready.port;
  }

  get bootstrap(): string {
    return `127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  get stderr(): string {
    return this.stderrTail;
  }

  private async spawn(port: number): Promise<void> {
    const o = this.opts;
    const args = [
      cliEntry(),
      'serve',
      '--json',
      '--stop-on-stdin-close',
      // If this process dies without close(), the broker removes the temporary dir it made.
      ...(this.ownsDataDir ? ['--remove-data-dir-on-stdin-close'] : []),
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--data-dir',
      this.dataDir,
    ];
    if (o.flush) args.push('--flush', o.flush);
    if (o.defaultPartitions) args.push('--default-partitions', String(o.defaultPartitions));
    args.push('--log-level', o.logLevel ?? 'warn', ...(o.extraArgs ?? []));
    // Its own process group, so a Ctrl-C meant for the tool does not stop the broker before the
    // tool has finished with it; the stdin pipe ends it if this process dies without cleaning up.
    const proc = execa(process.execPath, args, {
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: o.stderr ?? 'pipe',
      reject: false,
      buffer: false,
      detached: true,
    });
    this.proc = proc;
    proc.stderr?.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString()).slice(-65536);
    });
    const lines = createInterface({ input: proc.stdout! });
    this.ready = await new Promise<ReadyLine>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`broker not ready in time:\n${this.stderrTail}`)),
        o.readyTimeoutMs ?? 60_000,
      );
      lines.once('line', (line) => {
        clearTimeout(timer);
        try {
          resolve(JSON.parse(line) as ReadyLine);
        } catch {
          reject(new Error(`unexpected broker output: ${line}\n${this.stderrTail}`));
        }
      });
      proc.then((r) => {
        clearTimeout(timer);
        reject(
          new Error(`broker exited with ${r.exitCode ?? r.signal} before it was ready:\n${this.stderrTail}`),
        );
      });
    });
  }

  /** SIGKILL: nothing is flushed, as in a crash. */
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p) return;
    p.kill('SIGKILL');
    await p;
    this.proc = null;
  }

  /** SIGTERM and wait for a clean exit; returns the exit code. */
  async stop(): Promise<number | undefined> {
    const p = this.proc;
    if (!p) return 0;
    p.kill('SIGTERM');
    const r = await p;
    this.proc = null;
    return r.exitCode;
  }

  pause(): void {
    this.proc?.kill('SIGSTOP');
  }

  resume(): void {
    this.proc?.kill('SIGCONT');
  }

  /** Starts again on the same data dir and port. */
  async restart(): Promise<void> {
    const port = this.ready?.port ?? 0;
    await this.spawn(port);
  }

  /** Stops (SIGTERM) and removes the data dir if this broker created it. */
  async close(): Promise<void> {
    await this.stop().catch(() => {});
    if (this.ownsDataDir) await rm(this.dataDir, { recursive: true, force: true });
  }
}
