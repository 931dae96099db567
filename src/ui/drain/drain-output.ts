/**
 * Where a drain's progress goes: the ink live view on a terminal, one plain line per interval
 * otherwise, and with --json plain lines on stderr so stdout carries only the result.
 */
import type { DrainRunner } from '../../tools/drain/runner.js';
import { drainStartLine, drainTickLine } from './drain-lines.js';
import { mountDrainView } from './drain-live-view.js';

export type DrainOutputMode = 'live' | 'lines' | 'json';

export function chooseDrainOutput(json: boolean, stdoutIsTTY: boolean): DrainOutputMode {
  if (json) return 'json';
  return stdoutIsTTY ? 'live' : 'lines';
}

export interface DrainOutputStreams {
  stdout: NodeJS.WriteStream | { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

/** Subscribes the chosen renderer to the runner; `finish()` before printing the summary. */
export function attachDrainOutput(
  runner: DrainRunner,
  mode: DrainOutputMode,
  io: DrainOutputStreams,
): { finish: () => void } {
  if (mode === 'live') {
    const view = mountDrainView(runner, io.stdout as NodeJS.WriteStream);
    return { finish: () => view.unmount() };
  }
  const out = mode === 'json' ? io.stderr : io.stdout;
  runner.on('start', (info) => out.write(`${drainStartLine(info)}\n`));
  runner.on('tick', (t) => out.write(`${drainTickLine(t)}\n`));
  runner.on('log', (line) => out.write(`${line}\n`));
  return { finish: () => {} };
}
