/**
 * Errors a user can act on, as opposed to bugs. An ActionableError's message says what went
 * wrong and what to try next; its exit code says which kind of failure it was:
 *   1 — the operation was refused or failed (the topic exists, the group is unknown);
 *   2 — the command could not run as asked (bad flags, no broker reachable).
 * Anything else reaching a command is a bug and is rethrown with its stack.
 */
import type { Command } from '@oclif/core';
import { UsageError } from './units.js';

export type FailureExitCode = 1 | 2;

export class ActionableError extends Error {
  override name = 'ActionableError';
  constructor(
    message: string,
    readonly exitCode: FailureExitCode,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Ends the command with the message and exit code of a user-facing error; rethrows bugs. */
export function exitOnUserError(command: Command, err: unknown): never {
  if (err instanceof ActionableError) command.error(err.message, { exit: err.exitCode });
  if (err instanceof UsageError) command.error(err.message, { exit: 2 });
  throw err;
}
