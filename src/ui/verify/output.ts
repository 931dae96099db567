/**
 * Where a verify-loss run's progress goes: the ink live view on a terminal, one plain line per
 * interval otherwise, and with --json plain lines on stderr so stdout carries only the report.
 * (Log lines are the command's to print; the live view shows the latest ones itself.)
 */
import type { VerifyRunner } from '../../tools/verify/runner.js';
import { mountVerifyView } from './live-view.js';
import { startLine, tickLine } from './progress-lines.js';

export type VerifyOutputMode = 'live' | 'lines' | 'json';

export function chooseVerifyOutput(json: boolean, stdoutIsTTY: boolean): VerifyOutputMode {
  if (json) return 'json';
  return stdoutIsTTY ? 'live' : 'lines';
}

export function attachVerifyOutput(
  runner: VerifyRunner,
  mode: VerifyOutputMode,
  io: { stdout: NodeJS.WriteStream | { write(s: string): unknown }; stderr: { write(s: string): unknown } },
): { finish: () => void } {
  if (mode === 'live') {
    const view = mountVerifyView(runner, io.stdout as NodeJS.WriteStream);
    return { finish: () => view.unmount() };
  }
  const out = mode === 'json' ? io.stderr : io.stdout;
  runner.on('start', (info) => out.write(`${startLine(info)}\n`));
  runner.on('tick', (t) => out.write(`${tickLine(t)}\n`));
  return { finish: () => {} };
}
