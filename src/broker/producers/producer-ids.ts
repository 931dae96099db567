/**
 * Producer id allocation that never reuses an id across restarts.
 *
 * On disk: `<data-dir>/producers/producer-ids` (a checksummed JSON file, see checksummed-json.ts)
 * holding `nextBlockStart`: no id at or above it has ever been handed out. Ids are handed out
 * from blocks of BLOCK_SIZE; before the first id of a block is returned, the end of the block is
 * made durable (temp file, fdatasync, rename, directory fsync). A crash therefore skips at most
 * the rest of a block, and never repeats an id. Allocations are serialised.
 */
import path from 'node:path';
import { readChecksummedJson, writeChecksummedJson } from './checksummed-json.js';

export const PRODUCER_IDS_FILE = 'producer-ids';
export const BLOCK_SIZE = 1000;

interface IdsFile {
  version: 1;
  nextBlockStart: number;
}

export class ProducerIdAllocatorError extends Error {
  override name = 'ProducerIdAllocatorError';
}

export class ProducerIdAllocator {
  private next = 0;
  private blockEnd = 0;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly dir: string,
    private readonly blockSize = BLOCK_SIZE,
  ) {}

  get file(): string {
    return path.join(this.dir, PRODUCER_IDS_FILE);
  }

  /** Reads the persisted block start; `atLeast` guards against a lost file (ids seen in a snapshot). */
  async open(atLeast = 0): Promise<void> {
    const read = await readChecksummedJson<IdsFile>(this.file);
    if (read.kind === 'invalid') {
      throw new ProducerIdAllocatorError(
        `${this.file} is unreadable (${read.reason}); refusing to start, as producer ids could be reused. ` +
          'Remove the producers directory only if no producer of the old ids can still write.',
      );
    }
    const start = read.kind === 'ok' ? read.value.nextBlockStart : 0;
    this.next = Math.max(start, atLeast);
    this.blockEnd = this.next;
  }

  /** Every id below this may have been handed out (by this or an earlier run). */
  get issuedBelow(): number {
    return this.blockEnd;
  }

  allocate(): Promise<number> {
    const result = this.chain.then(async () => {
      if (this.next >= this.blockEnd) {
        const end = this.next + this.blockSize;
        await writeChecksummedJson(this.file, { version: 1, nextBlockStart: end } satisfies IdsFile);
        this.blockEnd = end;
      }
      return this.next++;
    });
    this.chain = result.catch(() => {});
    return result;
  }
}
