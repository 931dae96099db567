/**
 * Writing and reading history files (history.ts has the format).
 *
 * The writer buffers lines and appends them in order with one write per batch; `flush()`
 * resolves when everything written so far is in the file. The reader streams the file in 1 MiB
 * chunks and hands over one parsed event at a time, so a history of any length is read in
 * bounded memory.
 */
import { isAscii } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { formatEvent, type HistoryEvent, HistoryFormatError, parseEvent } from './history.js';

/** Where a run's events go: a file, the live checker, both. */
export interface HistorySink {
  write(e: HistoryEvent): void;
}

const FLUSH_BYTES = 256 * 1024;

export class HistoryWriter implements HistorySink {
  private buffer: string[] = [];
  private bytes = 0;
  private chain: Promise<void> = Promise.resolve();
  private failure: Error | null = null;
  lines = 0;

  private constructor(
    private readonly fh: FileHandle,
    readonly path: string,
  ) {}

  /** Creates (or truncates) the file. */
  static async create(path: string): Promise<HistoryWriter> {
    return new HistoryWriter(await open(path, 'w'), path);
  }

  write(e: HistoryEvent): void {
    const line = `${formatEvent(e)}\n`;
    this.buffer.push(line);
    this.bytes += line.length;
    this.lines++;
    if (this.bytes >= FLUSH_BYTES) void this.flush();
  }

  /** Resolves when every line written so far is in the file; rejects if a write failed. */
  flush(): Promise<void> {
    if (this.buffer.length > 0) {
      const text = this.buffer.join('');
      this.buffer = [];
      this.bytes = 0;
      this.chain = this.chain.then(async () => {
        if (this.failure) return;
        try {
          await this.fh.write(text);
        } catch (err) {
          this.failure = err as Error;
        }
      });
    }
    return this.chain.then(() => {
      if (this.failure) throw this.failure;
    });
  }

  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.fh.close();
    }
  }
}

/** Fans events out to several sinks (the file and the live checker). */
export function teeSinks(...sinks: HistorySink[]): HistorySink {
  return {
    write(e) {
      for (const s of sinks) s.write(e);
    },
  };
}

/**
 * Calls `onEvent` for every event of the file, in order. Empty lines are skipped; a malformed
 * line rejects with HistoryFormatError naming its line number.
 */
export async function forEachEvent(path: string, onEvent: (e: HistoryEvent) => void): Promise<number> {
  // Raw bytes, cut at newlines and decoded in one call per chunk (latin1 when the chunk is ASCII,
  // which it nearly always is): cheaper than a streaming decoder and string concatenation.
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  let rest: Buffer | null = null;
  let lineNo = 0;
  const line = (text: string) => {
    lineNo++;
    if (text.length > 0) onEvent(parseEvent(text, lineNo));
  };
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let from = 0;
    if (rest) {
      // The line begun in the previous chunk.
      const nl = chunk.indexOf(10);
      if (nl < 0) {
        rest = Buffer.concat([rest, chunk]);
        continue;
      }
      line(Buffer.concat([rest, chunk.subarray(0, nl)]).toString('utf8'));
      rest = null;
      from = nl + 1;
    }
    const last = chunk.lastIndexOf(10);
    if (last >= from) {
      const body = chunk.subarray(from, last);
      const text = isAscii(body) ? body.toString('latin1') : body.toString('utf8');
      let start = 0;
      for (;;) {
        const nl = text.indexOf('\n', start);
        if (nl < 0) break;
        line(text.slice(start, nl));
        start = nl + 1;
      }
      line(text.slice(start));
      from = last + 1;
    }
    if (from < chunk.length) rest = chunk.subarray(from);
  }
  if (rest) {
    const tail = rest.toString('utf8');
    if (tail.trim().length > 0) line(tail);
  }
  return lineNo;
}

/** Events of a history held in a string (tests, small files). */
export function parseHistory(text: string): HistoryEvent[] {
  const out: HistoryEvent[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim().length > 0) out.push(parseEvent(line, i + 1));
  });
  return out;
}

export { HistoryFormatError };
