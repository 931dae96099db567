/**
 * One server process started by mq: its own process group (so a stop or a crash reaches every
 * process it forked), stdout and stderr appended to `<dir>/server.out`, and a readiness probe
 * polled until it answers or the process exits.
 *
 * Attached (tests): this process keeps the child, and kills its group if it exits without
 * stopping it. Detached (`mq peers start`): the child outlives the command; `mq peers stop` finds
 * it by the pid in its state file and checks the pid is still that server before signalling.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface SpawnSpec {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd: string;
  /** Where stdout and stderr are appended. */
  outFile: string;
  detached: boolean;
}

/** A server that did not start, with the tail of its output: the user can act on it. */
export class PeerStartError extends Error {
  override name = 'PeerStartError';
}

const attached = new Set<number>();
let exitHookInstalled = false;

function killGroupNow(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

export class ServerProcess {
  private exited: Promise<number | null>;
  private hasExited = false;

  private constructor(
    child: ChildProcess,
    readonly pid: number,
    readonly outFile: string,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.hasExited = true;
        attached.delete(pid);
        resolve(code ?? (signal ? -1 : null));
      });
    });
  }

  static spawn(spec: SpawnSpec): ServerProcess {
    const out = openSync(spec.outFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(spec.command, spec.args, {
        cwd: spec.cwd,
        env: spec.env ?? process.env,
        stdio: ['ignore', out, out],
        // Always a new process group: signals reach the server's own children too.
        detached: true,
      });
    } finally {
      closeSync(out);
    }
    // Spawn failures (ENOENT) arrive as an 'error' event too; the pid check reports them.
    child.on('error', () => {});
    if (child.pid === undefined) {
      throw new PeerStartError(`could not start ${spec.command} (not found or not executable)`);
    }
    const p = new ServerProcess(child, child.pid, spec.outFile);
    if (spec.detached) child.unref();
    else {
      attached.add(child.pid);
      if (!exitHookInstalled) {
        exitHookInstalled = true;
        process.once('exit', () => {
          for (const pid of attached) killGroupNow(pid);
        });
      }
    }
    return p;
  }

  get running(): boolean {
    return !this.hasExited;
  }

  /** Polls `probe` until it resolves true; fails when the process exits or time runs out. */
  async waitReady(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastError = '';
    while (Date.now() < deadline) {
      if (this.hasExited) {
        throw new PeerStartError(`${what} exited before it was ready:\n${await tail(this.outFile)}`);
      }
      try {
        if (await probe()) return;
      } catch (err) {
        lastError = (err as Error).message;
      }
      await sleep(200);
    }
    this.killGroup('SIGKILL');
    throw new PeerStartError(
      `${what} was not ready within ${Math.round(timeoutMs / 1000)} s${lastError ? ` (last probe: ${lastError})` : ''}:\n${await tail(this.outFile)}`,
    );
  }

  killGroup(signal: NodeJS.Signals): void {
    try {
      process.kill(-this.pid, signal);
    } catch {
      // already gone
    }
  }

  /** Signals only the group leader (a start script passes SIGTERM on in its own way). */
  signal(signal: NodeJS.Signals): void {
    try {
      process.kill(this.pid, signal);
    } catch {
      // already gone
    }
  }

  /** Resolves with the exit code once the process has exited (at most `timeoutMs`). */
  async waitExit(timeoutMs: number): Promise<boolean> {
    const timer = sleep(timeoutMs).then(() => false);
    return Promise.race([this.exited.then(() => true), timer]);
  }
}

/** The last lines of a server's output file, for error messages. */
export async function tail(file: string, bytes = 4000): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.slice(-bytes);
}

/**
 * Is `pid` still a process whose command line mentions `needle`? Guards signals sent by pid from
 * a state file against a pid the system has since given to something else.
 */
export function isProcessOf(pid: number, needle: string): boolean {
  if (!isAlive(pid)) return false;
  try {
    return readFileSync(path.join('/proc', String(pid), 'cmdline'), 'utf8').includes(needle);
  } catch {
    // No /proc (not Linux): the pid is alive, trust the state file.
    return true;
  }
}

/**
 * Stops a server started by a previous command: SIGTERM to the group leader, SIGKILL to the
 * group after `timeoutMs`.
 */
export async function stopGroup(pid: number, timeoutMs: number): Promise<'stopped' | 'killed' | 'gone'> {
  const alive = () => isAlive(pid);
  if (!alive()) return 'gone';
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive()) {
      // Stragglers of the group (helpers the server forked) go with it.
      killGroupNow(pid);
      return 'stopped';
    }
    await sleep(100);
  }
  killGroupNow(pid);
  for (let i = 0; i < 100 && alive(); i++) await sleep(50);
  return 'killed';
}

/** Alive and not a zombie (an orphan nobody has reaped yet counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(path.join('/proc', String(pid), 'stat'), 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}
