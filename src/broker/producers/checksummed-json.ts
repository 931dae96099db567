/**
 * A small JSON document with a checksum, replaced atomically:
 *
 *   line 1: CRC-32C of the body as 8 lowercase hex digits
 *   line 2: the JSON body (UTF-8)
 *
 * Writes go through a temp file, fdatasync, rename and a directory fsync, so a reader sees the
 * old or the new document, never a mix; the CRC catches a damaged file.
 */
import { readFile } from 'node:fs/promises';
import { crc32c } from '@node-rs/crc32';
import { writeFileDurably } from '../../storage/durable-files.js';

export type ChecksummedRead<T> =
  | { kind: 'missing' }
  | { kind: 'ok'; value: T }
  | { kind: 'invalid'; reason: string };

const crcHex = (body: Buffer) => (crc32c(body) >>> 0).toString(16).padStart(8, '0');

export async function writeChecksummedJson(file: string, value: unknown): Promise<void> {
  const body = JSON.stringify(value);
  await writeFileDurably(file, `${crcHex(Buffer.from(body))}\n${body}`);
}

export async function readChecksummedJson<T>(file: string): Promise<ChecksummedRead<T>> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    throw err;
  }
  const nl = data.indexOf(10);
  if (nl !== 8) return { kind: 'invalid', reason: 'no checksum line' };
  const body = data.subarray(nl + 1);
  const stored = data.subarray(0, nl).toString();
  if (stored !== crcHex(body)) return { kind: 'invalid', reason: `checksum mismatch (stored ${stored})` };
  try {
    return { kind: 'ok', value: JSON.parse(body.toString()) as T };
  } catch (err) {
    return { kind: 'invalid', reason: `bad JSON: ${(err as Error).message}` };
  }
}
