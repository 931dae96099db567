/**
 * What the two sparse indexes share: their file mechanics, the growth of their typed arrays, the
 * floor search and i64 encoding. An index file is a copy of an in-memory array of fixed-size
 * entries: new entries are appended at flush points, and after a rebuild the whole file is
 * rewritten. Writing [from, from + bytes) also truncates the file there, so stale entries of an
 * older, longer file never survive. The files are not checksummed; the loader sanity-checks them
 * and rebuilds them from the log when they do not fit it.
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

/** Slot of the last of the first `count` entries of an ascending array that is <= key, or -1. */
export function floorSlot(sorted: Uint32Array | Float64Array, count: number, key: number): number {
  let lo = 0;
  let hi = count - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= key) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

export function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * 4294967296 + buf.readUInt32BE(pos + 4);
}

export function writeInt64(buf: Buffer, pos: number, v: number): void {
  const hi = Math.floor(v / 4294967296);
  buf.writeInt32BE(hi, pos);
  buf.writeUInt32BE(v - hi * 4294967296, pos + 4);
}
