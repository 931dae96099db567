/**
 * Ctrl-C in a terminal and SIGTERM from a CI runner cancelling a job mean the same to a long
 * run: stop it cleanly (report what was measured, stop the embedded broker, remove its data
 * dir). A second signal of either kind exits at once, with the shell's code for it.
 */
const CODES = { SIGINT: 130, SIGTERM: 143 } as const;

export function onStopSignals(stop: () => void, proc: NodeJS.Process = process): void {
  let stopping = false;
  const handler = (signal: keyof typeof CODES) => {
    if (stopping) proc.exit(CODES[signal]);
    stopping = true;
    stop();
  };
  proc.on('SIGINT', () => handler('SIGINT'));
  proc.on('SIGTERM', () => handler('SIGTERM'));
}
