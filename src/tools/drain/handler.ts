/**
 * `--handler ./file.js`: the user's processing code, loaded in every consumer thread.
 *
 * The module exports one of:
 *   handleMessage(message, context)   called per message (also accepted as the default export)
 *   handleBatch(messages, context)    called per fetched batch (all from one partition, in order)
 * Either may return a promise. A throw (or rejection) is a failure of that message, or of the
 * whole batch: it is retried up to --max-retries times, then dead-lettered (--dlq) or counted as
 * failed. `context.attempt` is 0 on the first call and counts the retries.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { MessageHeader } from '../../drivers/driver.js';

export interface HandlerMessage {
  topic: string;
  partition: number;
  offset: number;
  /** Record timestamp, ms since the epoch. */
  timestamp: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: readonly MessageHeader[];
}

export interface HandlerContext {
  /** 0 on the first call, then 1, 2, … per retry. */
  attempt: number;
  /** The consumer thread's number. */
  worker: number;
}

export type MessageHandler = (message: HandlerMessage, context: HandlerContext) => unknown;
export type BatchHandler = (messages: readonly HandlerMessage[], context: HandlerContext) => unknown;

export type LoadedHandler = { mode: 'message'; fn: MessageHandler } | { mode: 'batch'; fn: BatchHandler };

/** The handler module cannot be used (the user fixes the file or the flag). */
export class HandlerLoadError extends Error {
  override name = 'HandlerLoadError';
}

/** An absolute path, so worker threads find the file whatever their working directory. */
export function resolveHandlerPath(file: string, cwd = process.cwd()): string {
  return path.resolve(cwd, file);
}

export async function loadHandler(file: string): Promise<LoadedHandler> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    throw new HandlerLoadError(`cannot load handler ${file}: ${(err as Error).message}`);
  }
  if (typeof mod.handleBatch === 'function') return { mode: 'batch', fn: mod.handleBatch as BatchHandler };
  const fn = mod.handleMessage ?? mod.default;
  if (typeof fn === 'function') return { mode: 'message', fn: fn as MessageHandler };
  throw new HandlerLoadError(
    `handler ${file} exports neither handleMessage, handleBatch nor a default function`,
  );
}
