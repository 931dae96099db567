/**
 * Running the compiled CLI (`npm run build` first) as a user would: `node bin/run.js …`, never
 * rejecting, so tests assert on exit codes and output. MQ_BROKERS from the developer's shell is
 * dropped so `--brokers` (or its absence) is what a test says.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { cliEntry, packageRoot } from '../../src/tools/package-root.js';

export function requireBuild(command: string): void {
  const compiled = path.join(packageRoot(), 'dist', 'commands', `${command}.js`);
  if (!existsSync(compiled)) throw new Error(`run npm run build first (${compiled} is missing)`);
}

export interface MqOptions {
  /** stdin; none = an empty stdin. */
  input?: string;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

export function mq(args: readonly string[], opts: MqOptions = {}) {
  return execa(process.execPath, [cliEntry(), ...args], {
    reject: false,
    input: opts.input ?? '',
    timeout: opts.timeoutMs ?? 60_000,
    env: { NO_COLOR: '1', MQ_BROKERS: undefined, ...opts.env },
  });
}

/** oclif wraps error messages to the terminal width, prefixing " ›   "; this joins them back. */
export function flat(stderr: string): string {
  return stderr.replace(/\s*\n\s*›\s*/g, ' ');
}

/** Non-empty lines of an output. */
export function lines(out: string): string[] {
  return out.split('\n').filter((l) => l.length > 0);
}

export interface RunningCommand {
  /** stdout lines so far. */
  readonly lines: string[];
  readonly stderr: () => string;
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | undefined>;
  /** Resolves with the exit code when the process ends by itself. */
  exited(): Promise<number | undefined>;
}

/** Starts a long-running command (`mq consume`, or kcat) and collects its stdout lines as they come. */
export function startProcess(
  file: string,
  args: readonly string[],
  env: Record<string, string | undefined> = {},
): RunningCommand {
  const proc = execa(file, args, {
    reject: false,
    stdin: 'ignore',
    buffer: false,
    env: { NO_COLOR: '1', MQ_BROKERS: undefined, ...env },
  });
  const out: string[] = [];
  let partial = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => {
    const parts = (partial + d.toString()).split('\n');
    partial = parts.pop()!;
    out.push(...parts);
  });
  proc.stderr!.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-16_384);
  });
  const done = proc.then((r) => {
    if (partial) out.push(partial);
    return r.exitCode;
  });
  return {
    lines: out,
    stderr: () => err,
    async stop(signal = 'SIGINT') {
      proc.kill(signal);
      return done;
    },
    exited: () => done,
  };
}

export function startMq(args: readonly string[]): RunningCommand {
  return startProcess(process.execPath, [cliEntry(), ...args]);
}
