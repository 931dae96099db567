/**
 * Where a fanned-out message came from. The fan-out dispatcher re-publishes each message into the
 * temporary topic with header `mq-origin` (20 bytes, big-endian):
 *   0  uint32   original partition
 *   4  float64  original offset
 *   12 float64  original record timestamp, ms since the epoch
 * so the fan-out consumers account for the original message (coverage by original offset) and
 * measure time in queue from when it first entered the queue, not from its re-publication.
 */
import { headerValue, type IncomingMessage } from '../../drivers/driver.js';

export const ORIGIN_HEADER = 'mq-origin';
const SIZE = 20;

export interface Origin {
  partition: number;
  offset: number;
  timestamp: number;
}

export function encodeOrigin(partition: number, offset: number, timestamp: number): Buffer {
  const b = Buffer.allocUnsafe(SIZE);
  b.writeUInt32BE(partition >>> 0, 0);
  b.writeDoubleBE(offset, 4);
  b.writeDoubleBE(timestamp, 12);
  return b;
}

/** The origin header of a message, or null when it has none (not fanned out by mq). */
export function originOf(m: IncomingMessage): Origin | null {
  const v = headerValue(m, ORIGIN_HEADER);
  if (!v || v.length < SIZE) return null;
  const d = new DataView(v.buffer, v.byteOffset, v.byteLength);
  return { partition: d.getUint32(0), offset: d.getFloat64(4), timestamp: d.getFloat64(12) };
}
