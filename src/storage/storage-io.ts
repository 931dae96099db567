/**
 * The file-system calls on the storage engine's hot and failure-prone paths, behind one small
 * interface so tests can count fdatasyncs (group commit) and make writes fail (ENOSPC) without
 * a full disk. Production uses `nodeIo`, a thin pass-through to node:fs.
 */
import fs from 'node:fs';

export interface StorageIo {
  /** pwrite(2): returns the bytes written, which may be fewer than asked. */
  writeSync(fd: number, buffer: Buffer, offset: number, length: number, position: number): number;
  /** pwritev(2): returns the bytes written, which may be fewer than asked. */
  writevSync(fd: number, buffers: readonly Buffer[], position: number): number;
  ftruncateSync(fd: number, length: number): void;
  fdatasync(fd: number): Promise<void>;
}

export const nodeIo: StorageIo = {
  writeSync: (fd, buffer, offset, length, position) => fs.writeSync(fd, buffer, offset, length, position),
  writevSync: (fd, buffers, position) => fs.writevSync(fd, buffers as Buffer[], position),
  ftruncateSync: (fd, length) => fs.ftruncateSync(fd, length),
  fdatasync: (fd) =>
    new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve()))),
};

/** Positional read of up to `length` bytes; resolves with the count read (0 at end of file). */
export function readAt(
  fd: number,
  buffer: Buffer,
  offset: number,
  length: number,
  position: number,
): Promise<number> {
  return new Promise((resolve, reject) =>
    fs.read(fd, buffer, offset, length, position, (err, n) => (err ? reject(err) : resolve(n))),
  );
}

/**
 * Writes all of `buffer` at `position`, looping over short writes. On failure cuts the file back
 * to `position` (best effort: bytes left past it are overwritten by the next write) and rethrows.
 */
export function writeAll(io: StorageIo, fd: number, buffer: Buffer, position: number): void {
  let done = 0;
  try {
    while (done < buffer.length) {
      const n = io.writeSync(fd, buffer, done, buffer.length - done, position + done);
      if (n <= 0) throw new Error(`write returned ${n}`);
      done += n;
    }
  } catch (err) {
    if (done > 0) cutBack(io, fd, position);
    throw err;
  }
}

/** writeAll for several buffers with pwritev; returns the bytes written. */
export function writevAll(io: StorageIo, fd: number, buffers: readonly Buffer[], position: number): number {
  let total = 0;
  for (const b of buffers) total += b.length;
  let done = 0;
  try {
    let pending = buffers;
    while (done < total) {
      const n = io.writevSync(fd, pending, position + done);
      if (n <= 0) throw new Error(`writev returned ${n}`);
      done += n;
      if (done < total) pending = remainingAfter(buffers, done);
    }
  } catch (err) {
    if (done > 0) cutBack(io, fd, position);
    throw err;
  }
  return total;
}

function cutBack(io: StorageIo, fd: number, position: number): void {
  try {
    io.ftruncateSync(fd, position);
  } catch {
    // Bytes past the segment's size are invisible and overwritten by its next write.
  }
}

/** The part of `buffers` not yet written after `written` bytes (only after a short pwritev). */
function remainingAfter(buffers: readonly Buffer[], written: number): Buffer[] {
  const rest: Buffer[] = [];
  let skip = written;
  for (const b of buffers) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    rest.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return rest;
}
