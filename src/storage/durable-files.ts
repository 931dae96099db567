/**
 * Small files that must be either the old or the new version after a crash (meta.json,
 * recovery-point, config.json, the clean-shutdown marker): written to `<name>.tmp`, fsynced,
 * renamed over the old one, and the directory fsynced so the rename itself survives power loss.
 * A leftover `.tmp` is garbage from an interrupted write and is removed by whoever lists the dir.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { TEMP_FILE_SUFFIX } from './log-file-names.js';

export async function writeFileDurably(file: string, contents: string): Promise<void> {
  const tmp = file + TEMP_FILE_SUFFIX;
  const handle = await fs.open(tmp, 'w');
  try {
    await handle.writeFile(contents);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(tmp, file);
  await fsyncDir(path.dirname(file));
}

/** Makes the creation, removal or renaming of entries in `dir` durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Removes a file if it exists. */
export async function removeFile(file: string): Promise<void> {
  await fs.rm(file, { force: true });
}

/** Contents of a file, or null when it does not exist. */
export async function readFileIfExists(file: string): Promise<Buffer | null> {
  try {
    return await fs.readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
