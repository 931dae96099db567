/**
 * A RabbitMQ or Redis server started by mq on loopback, on free ports, with its data, logs and
 * config in one directory: for tests, for `mq peers start`, and for tools that inject server
 * faults (kill = SIGKILL, a crash; restart = same dir and ports, so what was durable is back).
 *
 * `<dir>/peer.json` records the kind, URL, pid and ports, so `mq peers stop` (another process)
 * can find and stop a detached server. A dir mq created itself is removed by close().
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, portIsFree } from './ports.js';
import { PeerStartError, ServerProcess } from './server-process.js';

export type PeerKind = 'rabbitmq' | 'redis';
export const PEER_KINDS: readonly PeerKind[] = ['rabbitmq', 'redis'];

/** Where and how one server runs; the same layout is used again on restart. */
export interface PeerLayout {
  dir: string;
  port: number;
  /** RabbitMQ: Erlang node name and distribution port. */
  nodeName?: string;
  distPort?: number;
}

/** What is known about a running peer: printed by `mq peers start --json`, kept in peer.json. */
export interface PeerInfo extends PeerLayout {
  kind: PeerKind;
  url: string;
  /** Leader of the server's process group (for RabbitMQ, its start script). */
  pid: number;
  startedAt: string;
  detached: boolean;
}

/** One kind of server: how to lay out its dir, start it and tell when it is ready. */
export interface PeerLauncher {
  kind: PeerKind;
  what: string;
  readyTimeoutMs: number;
  /** Part of the server's command line, to check a recorded pid is still that server. */
  needle: string;
  url(layout: PeerLayout): string;
  /** Writes config files into layout.dir; returns layout fields of its own (ports, names). */
  prepare(layout: PeerLayout): Promise<Partial<PeerLayout>>;
  spawnSpec(layout: PeerLayout): { command: string; args: string[]; env?: NodeJS.ProcessEnv };
  probe(layout: PeerLayout): Promise<boolean>;
}

export interface PeerOptions {
  /** AMQP / Redis port; a free one when omitted. */
  port?: number;
  /** Data dir; a new temp dir (removed by close()) when omitted. */
  dir?: string;
  /** Let the server outlive this process (`mq peers start`). */
  detached?: boolean;
  readyTimeoutMs?: number;
}

export const PEER_FILE = 'peer.json';

export class Peer {
  private proc: ServerProcess | null = null;
  private startedAt = '';

  private constructor(
    private readonly launcher: PeerLauncher,
    readonly layout: PeerLayout,
    private readonly ownsDir: boolean,
    private readonly opts: PeerOptions,
  ) {}

  static async start(launcher: PeerLauncher, opts: PeerOptions = {}): Promise<Peer> {
    const owns = !opts.dir;
    const dir = opts.dir ?? (await mkdtemp(path.join(os.tmpdir(), `mq-${launcher.kind}-`)));
    await mkdir(dir, { recursive: true });
    try {
      const base: PeerLayout = { dir, port: opts.port ?? (await freePort()) };
      const layout = { ...base, ...(await launcher.prepare(base)) };
      const peer = new Peer(launcher, layout, owns, opts);
      await peer.spawn();
      return peer;
    } catch (err) {
      if (owns) await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  get kind(): PeerKind {
    return this.launcher.kind;
  }

  get url(): string {
    return this.launcher.url(this.layout);
  }

  get pid(): number {
    if (!this.proc) throw new Error(`${this.launcher.what} is not running`);
    return this.proc.pid;
  }

  get running(): boolean {
    return this.proc?.running ?? false;
  }

  get info(): PeerInfo {
    return {
      kind: this.kind,
      url: this.url,
      pid: this.pid,
      startedAt: this.startedAt,
      detached: this.opts.detached ?? false,
      ...this.layout,
    };
  }

  private async spawn(): Promise<void> {
    const ports = [this.layout.port, ...(this.layout.distPort ? [this.layout.distPort] : [])];
    for (const port of ports) {
      if (!(await portIsFree(port))) {
        throw new PeerStartError(
          `cannot start ${this.launcher.what}: port ${port} on 127.0.0.1 is in use (pick another with --port, or stop what holds it)`,
        );
      }
    }
    const spec = this.launcher.spawnSpec(this.layout);
    const proc = ServerProcess.spawn({
      ...spec,
      cwd: this.layout.dir,
      outFile: path.join(this.layout.dir, 'server.out'),
      detached: this.opts.detached ?? false,
    });
    this.proc = proc;
    this.startedAt = new Date().toISOString();
    const timeout = this.opts.readyTimeoutMs ?? this.launcher.readyTimeoutMs;
    await proc.waitReady(
      `${this.launcher.what} on 127.0.0.1:${this.layout.port}`,
      () => this.launcher.probe(this.layout),
      timeout,
    );
    await writeFile(path.join(this.layout.dir, PEER_FILE), `${JSON.stringify(this.info, null, 2)}\n`);
  }

  /** SIGKILL to the whole server: nothing is flushed, as in a crash or power cut of the process. */
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p) return;
    p.killGroup('SIGKILL');
    await p.waitExit(30_000);
    this.proc = null;
  }

  /**
   * Starts again on the same dir and ports (after kill() or stop()), once the ports are free:
   * a killed server's process can take seconds to go on a loaded machine.
   */
  async restart(portWaitMs = 30_000): Promise<void> {
    if (this.proc?.running) throw new PeerStartError(`${this.launcher.what} is still running`);
    const ports = [this.layout.port, ...(this.layout.distPort ? [this.layout.distPort] : [])];
    const deadline = Date.now() + portWaitMs;
    for (const port of ports) {
      while (!(await portIsFree(port)) && Date.now() < deadline) await sleep(200);
    }
    await this.spawn();
  }

  /** SIGTERM and wait for a clean exit (SIGKILL after `timeoutMs`). */
  async stop(timeoutMs = 30_000): Promise<void> {
    const p = this.proc;
    if (!p) return;
    p.signal('SIGTERM');
    if (!(await p.waitExit(timeoutMs))) {
      p.killGroup('SIGKILL');
      await p.waitExit(10_000);
    }
    // Stragglers of the group (helpers the server forked) go with it.
    p.killGroup('SIGKILL');
    this.proc = null;
  }

  /** Stops, and removes the dir if this peer created it. */
  async close(): Promise<void> {
    await this.stop();
    if (this.ownsDir) await rm(this.layout.dir, { recursive: true, force: true });
  }
}
