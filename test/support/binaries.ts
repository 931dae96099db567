/**
 * External clients the interop suites drive (kcat, later redis-server, rabbitmq-server).
 * In CI (CI=true) a missing binary is a failure, so a broken install step cannot hide behind
 * skipped tests; on a developer machine the suite is skipped with a message saying what to install.
 */
import { execFileSync } from 'node:child_process';

export function findBinary(name: string): string | null {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/** Returns the binary's path, throws in CI when it is missing, or null (skip) elsewhere. */
export function requireBinary(name: string, install: string): string | null {
  const path = findBinary(name);
  if (path) return path;
  const message = `${name} not found: install it (${install}) to run this suite`;
  if (process.env.CI) throw new Error(message);
  console.warn(`skipping: ${message}`);
  return null;
}
