/**
 * The `read` history event for records a consumer processed: (offset, producer, seq) triples
 * from each record's stamp (producer -1 when it has none), and the keys when any record has one.
 */
import { headerValue, type IncomingMessage } from '../../drivers/driver.js';
import { decodeStamp, STAMP_HEADER } from '../stamp.js';
import type { ReadEvent } from './history.js';

export function readEvent(c: string, pt: number, ms: readonly IncomingMessage[], ts: number): ReadEvent {
  const r = new Array<number>(ms.length * 3);
  let keys: (string | null)[] | undefined;
  let redelivered: number[] | undefined;
  for (let i = 0; i < ms.length; i++) {
    const m = ms[i];
    const stamp = decodeStamp(headerValue(m, STAMP_HEADER));
    r[3 * i] = m.offset;
    r[3 * i + 1] = stamp ? stamp.producerId : -1;
    r[3 * i + 2] = stamp ? stamp.sequence : -1;
    if (m.redelivered) (redelivered ??= []).push(i);
    if (m.key !== null) {
      keys ??= new Array<string | null>(ms.length).fill(null);
      keys[i] = Buffer.from(m.key.buffer, m.key.byteOffset, m.key.byteLength).toString('utf8');
    }
  }
  const e: ReadEvent = { t: 'read', ts, c, pt, r };
  if (keys) e.k = keys;
  if (redelivered) e.rd = redelivered;
  return e;
}
