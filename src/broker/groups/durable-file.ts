/**
 * Small crash-safe file operations shared by the offset store and the producer state: fsync of a
 * directory (so a create or rename survives a power loss) and atomic whole-file replacement
 * (write a temp file, fsync it, rename over the target, fsync the directory).
 */
import { open, rename } from 'node:fs/promises';
import path from 'node:path';

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Replaces `file` with `data` so that a crash leaves either the old or the new content. */
export async function writeFileAtomic(file: string, data: Buffer | string): Promise<void> {
  const tmp = `${file}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  await fsyncDir(path.dirname(file));
}
