/**
 * Vitest global setup: every temporary file of a test run (embedded brokers' data dirs,
 * verify-loss histories the tools keep for their users, RabbitMQ and Redis peers' dirs) goes
 * under one directory of the run, removed at the end, so a run leaves nothing in the system's
 * temp dir even when a test kills a tool on purpose. Workers inherit TMPDIR from this process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export default function setup(): () => void {
  const previous = process.env.TMPDIR;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mq-test-run-'));
  process.env.TMPDIR = dir;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(dir, { recursive: true, force: true });
  };
}
