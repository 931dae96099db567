/**
 * Where a bench run's progress goes: the ink live view on a terminal, one plain line per
 * interval otherwise, and with --json plain lines on stderr so stdout carries only the result.
 */
import type { BenchRunner } from '../tools/bench/runner.js';
import { intervalLine, startLine, stepLine } from './bench-lines.js';
import { mountLiveView } from './bench-live-view.js';

export type OutputMode = 'live' | 'lines' | 'json';

/** The live view needs a terminal that says how wide it is (a pty with 0 columns gets lines). */
export function chooseOutputMode(json: boolean, stdout: { isTTY?: boolean; columns?: number }): OutputMode {
  if (json) return 'json';
  return stdout.isTTY && (stdout.columns ?? 0) >= 40 ? 'live' : 'lines';
}

export interface RunShape {
  driver: string;
  messageSize: number;
  partitions: number;
}

export interface OutputStreams {
  stdout: NodeJS.WriteStream | { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

/** Subscribes the chosen renderer to the runner; `finish()` before printing the summary. */
export function attachBenchOutput(
  runner: BenchRunner,
  mode: OutputMode,
  shape: RunShape,
  io: OutputStreams,
): { finish: () => void } {
  if (mode === 'live') {
    const view = mountLiveView(runner, shape, io.stdout as NodeJS.WriteStream);
    return { finish: () => view.unmount() };
  }
  const out = mode === 'json' ? io.stderr : io.stdout;
  runner.on('start', (info) => out.write(`${startLine(info, shape)}\n`));
  runner.on('tick', (s) => out.write(`${intervalLine(s)}\n`));
  runner.on('step', (s) => out.write(`${stepLine(s)}\n`));
  return { finish: () => {} };
}
