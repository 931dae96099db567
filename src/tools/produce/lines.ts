/**
 * How `mq produce` turns its input and flags into records: one message per input line, the key
 * before the first key separator, headers from `k=v` flags. Pure, so it is tested without a broker.
 */
import { UsageError } from '../../cli/units.js';
import type { RecordHeader } from '../../client/index.js';

export interface LineRecord {
  key: string | null;
  value: string;
}

/**
 * With a separator, the key is what comes before its first occurrence and the value the rest;
 * a line without the separator has no key (null) and the whole line as value.
 */
export function splitLine(line: string, keySeparator: string | undefined): LineRecord {
  if (!keySeparator) return { key: null, value: line };
  const i = line.indexOf(keySeparator);
  return i < 0
    ? { key: null, value: line }
    : { key: line.slice(0, i), value: line.slice(i + keySeparator.length) };
}

/** "k=v" → { key: "k", value: "v" }; the value may contain "=", the key may not be empty. */
export function parseHeader(flag: string): RecordHeader {
  const i = flag.indexOf('=');
  if (i <= 0) throw new UsageError(`--header "${flag}": expected key=value, e.g. --header source=cli`);
  return { key: flag.slice(0, i), value: flag.slice(i + 1) };
}

/** `--key-separator` as typed: "\t" and "\n"-style escapes are what shells make hard to type. */
export function unescapeSeparator(sep: string): string {
  const out = sep.replace(/\\(t|n|r|\\)/g, (_, c: string) => ({ t: '\t', n: '\n', r: '\r', '\\': '\\' })[c]!);
  if (out.length === 0) throw new UsageError('--key-separator must not be empty');
  if (out.includes('\n'))
    throw new UsageError('--key-separator cannot contain a newline: input is split into lines first');
  return out;
}

export type Acks = -1 | 0 | 1;

export function parseAcks(input: string): Acks {
  switch (input) {
    case 'all':
    case '-1':
      return -1;
    case '1':
      return 1;
    case '0':
      return 0;
    default:
      throw new UsageError(`--acks "${input}": expected all, 1 or 0`);
  }
}
