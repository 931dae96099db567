/**
 * File mechanics shared by the two sparse indexes. An index file is a copy of an in-memory
 * array of fixed-size entries: new entries are appended at flush points, and after a rebuild the
 * whole file is rewritten. Writing [from, from + bytes) also truncates the file there, so stale
 * entries of an older, longer file never survive. The files are not checksummed; the loader
 * sanity-checks them and rebuilds them from the log when they do not fit it.
 */
import fs from 'node:fs/promises';

export async function writeIndexFile(file: string, bytes: Buffer, fromByte: number): Promise<void> {
  const handle = await fs.open(file, fs.constants.O_RDWR | fs.constants.O_CREAT);
  try {
    if (bytes.length > 0) await handle.write(bytes, 0, bytes.length, fromByte);
    await handle.truncate(fromByte + bytes.length);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/** Grows a typed array to hold at least `needed` entries, doubling to keep appends O(1) amortised. */
export function grow<T extends Uint32Array | Float64Array>(
  array: T,
  needed: number,
  make: (n: number) => T,
): T {
  if (needed <= array.length) return array;
  const next = make(Math.max(needed, array.length * 2, 16));
  next.set(array);
  return next;
}

export function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * 4294967296 + buf.readUInt32BE(pos + 4);
}

export function writeInt64(buf: Buffer, pos: number, v: number): void {
  const hi = Math.floor(v / 4294967296);
  buf.writeInt32BE(hi, pos);
  buf.writeUInt32BE(v - hi * 4294967296, pos + 4);
}
