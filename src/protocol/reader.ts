/**
 * Reader: decodes Kafka wire primitives from a Buffer.
 *
 * Every read checks bounds first and throws MalformedFrameError on a short or lying input, so a
 * garbage frame can never make the broker read past a buffer or allocate from a claimed length:
 * array counts are checked against the bytes left (each element needs at least one byte) before
 * anything is allocated.
 *
 * Classic strings/bytes are int16/int32 length-prefixed (-1 = null). Compact ones (flexible
 * versions) carry unsigned-varint length+1 (0 = null). int64 values are returned as JS numbers:
 * offsets, timestamps and producer ids stay far below 2^53 in practice.
 */

export class MalformedFrameError extends Error {
  override name = 'MalformedFrameError';
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

export class Reader {
  constructor(
    readonly buf: Buffer,
    public offset = 0,
    readonly end = buf.length,
  ) {}

  get remaining(): number {
    return this.end - this.offset;
  }

  private need(n: number): void {
    if (n < 0 || this.offset + n > this.end) {
      throw new MalformedFrameError(`need ${n} bytes at ${this.offset}, have ${this.end - this.offset}`);
    }
  }

  int8(): number {
    this.need(1);
    return this.buf.readInt8(this.offset++);
  }

  uint8(): number {
    this.need(1);
    return this.buf[this.offset++];
  }

  boolean(): boolean {
    return this.int8() !== 0;
  }

  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  uint16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  uint32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  int64(): number {
    this.need(8);
    const hi = this.buf.readInt32BE(this.offset);
    const lo = this.buf.readUInt32BE(this.offset + 4);
    this.offset += 8;
    return hi * 4294967296 + lo;
  }

  float64(): number {
    this.need(8);
    const v = this.buf.readDoubleBE(this.offset);
    this.offset += 8;
    return v;
  }

  /** Unsigned LEB128 varint, at most 5 bytes (32 bits). */
  uvarint(): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      this.need(1);
      const b = this.buf[this.offset++];
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
    throw new MalformedFrameError('unsigned varint longer than 5 bytes');
  }

  /** Zigzag-encoded signed varint (32 bits). */
  varint(): number {
    const u = this.uvarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  /** Zigzag-encoded signed varlong (64 bits, returned as a number; exact to 2^53). */
  varlong(): number {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      this.need(1);
      const b = this.buf[this.offset++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) {
        const v = (result >> 1n) ^ -(result & 1n);
        return Number(v);
      }
      shift += 7n;
    }
    throw new MalformedFrameError('varlong longer than 10 bytes');
  }

  uuid(): Buffer {
    this.need(16);
    const v = this.buf.subarray(this.offset, this.offset + 16);
    this.offset += 16;
    return v;
  }

  /** Raw bytes, as a view (no copy). */
  raw(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  private text(n: number): string {
    this.need(n);
    const s = utf8.decode(this.buf.subarray(this.offset, this.offset + n));
    this.offset += n;
    return s;
  }

  /** int16-length string; null (length -1) is an error here. */
  string(): string {
    const s = this.nullableString();
    if (s === null) throw new MalformedFrameError('null where a string is required');
    return s;
  }

  nullableString(): string | null {
    const n = this.int16();
    if (n === -1) return null;
    if (n < -1) throw new MalformedFrameError(`negative string length ${n}`);
    return this.text(n);
  }

  compactString(): string {
    const s = this.compactNullableString();
    if (s === null) throw new MalformedFrameError('null where a compact string is required');
    return s;
  }

  compactNullableString(): string | null {
    const n = this.uvarint();
    if (n === 0) return null;
    return this.text(n - 1);
  }

  /** Classic or compact string, chosen by the flexible flag of the (api, version). */
  str(flexible: boolean): string {
    return flexible ? this.compactString() : this.string();
  }

  nullableStr(flexible: boolean): string | null {
    return flexible ? this.compactNullableString() : this.nullableString();
  }

  /** int32-length bytes (view, no copy); -1 = null. */
  nullableBytes(): Buffer | null {
    const n = this.int32();
    if (n === -1) return null;
    if (n < -1) throw new MalformedFrameError(`negative bytes length ${n}`);
    return this.raw(n);
  }

  bytes(): Buffer {
    const b = this.nullableBytes();
    if (b === null) throw new MalformedFrameError('null where bytes are required');
    return b;
  }

  compactNullableBytes(): Buffer | null {
    const n = this.uvarint();
    if (n === 0) return null;
    return this.raw(n - 1);
  }

  compactBytes(): Buffer {
    const b = this.compactNullableBytes();
    if (b === null) throw new MalformedFrameError('null where compact bytes are required');
    return b;
  }

  byteArray(flexible: boolean): Buffer {
    return flexible ? this.compactBytes() : this.bytes();
  }

  nullableByteArray(flexible: boolean): Buffer | null {
    return flexible ? this.compactNullableBytes() : this.nullableBytes();
  }

  /** Array length, classic (int32, -1 null) or compact (uvarint n+1, 0 null). Checked against bytes left. */
  arrayLength(flexible: boolean): number {
    const n = flexible ? this.uvarint() - 1 : this.int32();
    if (n < -1) throw new MalformedFrameError(`negative array length ${n}`);
    if (n > this.remaining) {
      throw new MalformedFrameError(`array of ${n} elements claimed with ${this.remaining} bytes left`);
    }
    return n;
  }

  array<T>(flexible: boolean, item: (r: Reader) => T): T[] {
    const n = this.arrayLength(flexible);
    if (n <= 0) return [];
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = item(this);
    return out;
  }

  nullableArray<T>(flexible: boolean, item: (r: Reader) => T): T[] | null {
    const n = this.arrayLength(flexible);
    if (n === -1) return null;
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = item(this);
    return out;
  }

  /** Tagged fields of a flexible struct. Unknown tags are skipped; known ones go to the handler. */
  taggedFields(onTag?: (tag: number, r: Reader, size: number) => void): void {
    const count = this.uvarint();
    if (count > this.remaining) throw new MalformedFrameError(`${count} tagged fields claimed`);
    for (let i = 0; i < count; i++) {
      const tag = this.uvarint();
      const size = this.uvarint();
      this.need(size);
      const end = this.offset + size;
      if (onTag) onTag(tag, new Reader(this.buf, this.offset, end), size);
      this.offset = end;
    }
  }

  /** Skips tagged fields only when the version is flexible. */
  tags(flexible: boolean): void {
    if (flexible) this.taggedFields();
  }
}
