/**
 * What the hardening runs read about the broker process from /proc (Linux): resident memory and
 * open file descriptors. Both return null where /proc is not available.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Resident set size of a process in bytes (VmRSS), or null. */
export function rssBytes(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Number of open file descriptors of a process, or null. */
export function openFds(pid: number): number | null {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}

/** True while the process exists (signal 0 probes without sending anything). */
export function isAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export const MiB = 1024 * 1024;
