/**
 * How a partitioned topic is laid out in Redis, and the stream entry format.
 *
 *   hash    mq:meta:<T>          field `partitions`: the partition count (its existence is the
 *                                topic's)
 *   stream  mq:stream:<T>:<p>    partition p
 *
 * Offsets: producers add with ID `0-*` (Redis 7 picks the next sequence number under ms 0), so
 * entry IDs are 0-1, 0-2, ... with no gaps: the entry with ID `0-<s>` has offset s − 1, and the
 * stream's entries-added is its end offset, as in a Kafka partition. (A stream someone else added
 * to with `*` IDs refuses `0-*`: these streams are mq's own.)
 *
 * An entry's fields, in order: `v` value, `t` timestamp (ms, decimal), then `k` key when there is
 * one, then `h.<name>` per header. Values are bytes (ioredis Buffer replies). Consumer groups are
 * Redis consumer groups on every partition stream, named as the group.
 */
import type { IncomingMessage, MessageHeader, OutgoingMessage } from './driver.js';
import { asBuffer } from './outgoing.js';

export const metaKey = (topic: string) => `mq:meta:${topic}`;
export const streamKey = (topic: string, p: number) => `mq:stream:${topic}:${p}`;

const V = Buffer.from('v');
const K = Buffer.from('k');

/** The ID producers add with: the next sequence number, which is the offset + 1. */
export const NEXT_ID = '0-*';

/** XADD arguments after the key and ID: field, value, field, value, ... */
export function entryFields(m: OutgoingMessage, timestamp: string): (Buffer | string)[] {
  const out: (Buffer | string)[] = [V, asBuffer(m.value), 't', timestamp];
  if (m.key !== undefined && m.key !== null) out.push(K, asBuffer(m.key));
  if (m.headers) for (const [k, v] of Object.entries(m.headers)) out.push(`h.${k}`, asBuffer(v));
  return out;
}

/** The offset of entry `0-<s>`: s − 1. */
export function idOffset(id: Buffer | string): number {
  const s = id.toString();
  return Number(s.slice(s.indexOf('-') + 1)) - 1;
}

/** The stream ID of an offset. */
export const offsetId = (offset: number) => `0-${offset + 1}`;

/** One entry of an XREAD / XREADGROUP / XAUTOCLAIM reply: [id, [field, value, ...]]. */
export type RawEntry = [Buffer, Buffer[] | null];

export function toMessage(e: RawEntry): IncomingMessage {
  const [id, fields] = e;
  let value: Uint8Array | null = null;
  let key: Uint8Array | null = null;
  let timestamp = 0;
  const headers: MessageHeader[] = [];
  if (fields) {
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const f = fields[i];
      if (f.length === 1 && f[0] === 0x76) value = fields[i + 1];
      else if (f.length === 1 && f[0] === 0x74) timestamp = Number(fields[i + 1].toString());
      else if (f.length === 1 && f[0] === 0x6b) key = fields[i + 1];
      else if (f.length > 2 && f[0] === 0x68 && f[1] === 0x2e) {
        headers.push({ key: f.subarray(2).toString(), value: fields[i + 1] });
      }
    }
  }
  return { offset: idOffset(id), timestamp, key, value, headers };
}

/** An XREAD(GROUP) reply: per stream key, its entries; null when nothing arrived. */
export type ReadReply = [Buffer, RawEntry[]][] | null;

/** A flat [name, value, name, value, ...] reply (XINFO) as a map by name. */
export function fieldMap(flat: unknown[]): Map<string, unknown> {
  const m = new Map<string, unknown>();
  for (let i = 0; i + 1 < flat.length; i += 2) m.set(String(flat[i]), flat[i + 1]);
  return m;
}
