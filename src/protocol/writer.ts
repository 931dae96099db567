/**
 * Writer: encodes Kafka wire primitives into a growable buffer.
 *
 * Large payloads (record batches read from a segment) are not copied: `raw(buf, { copy: false })`
 * closes the current chunk and appends the buffer as a chunk of its own, so a Fetch response goes
 * to the socket as a list of buffers (writev) straight from the file reads.
 *
 * `frame()` reserves the 4-byte size prefix and `finishFrame()` fills it, so responses are built
 * in one pass.
 */

const INITIAL = 256;

export class Writer {
  private chunks: Buffer[] = [];
  private buf: Buffer;
  private pos = 0;
  /** Bytes in closed chunks. */
  private closed = 0;
  private frameAt = -1;

  constructor(initialSize = INITIAL) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  get length(): number {
    return this.closed + this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  int8(v: number): this {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos);
    this.pos += 1;
    return this;
  }

  uint8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  boolean(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }

  int16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  uint16(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  int32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  uint32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }

  int64(v: number | bigint): this {
    this.ensure(8);
    this.buf.writeBigInt64BE(typeof v === 'bigint' ? v : BigInt(v), this.pos);
    this.pos += 8;
    return this;
  }

  float64(v: number): this {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
    return this;
  }

  uvarint(v: number): this {
    this.ensure(5);
    let x = v >>> 0;
    while (x >= 0x80) {
      this.buf[this.pos++] = (x & 0x7f) | 0x80;
      x >>>= 7;
    }
    this.buf[this.pos++] = x;
    return this;
  }

  /** Zigzag signed varint (32 bits). */
  varint(v: number): this {
    return this.uvarint(((v << 1) ^ (v >> 31)) >>> 0);
  }

  /** Zigzag signed varlong (64 bits). */
  varlong(v: number): this {
    if (v >= -0x40000000 && v < 0x40000000) return this.varint(v);
    this.ensure(10);
    const big = BigInt(v);
    let x = BigInt.asUintN(64, (big << 1n) ^ (big >> 63n));
    while (x >= 0x80n) {
      this.buf[this.pos++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.pos++] = Number(x);
    return this;
  }

  uuid(v: Buffer | null): this {
    this.ensure(16);
    if (v) v.copy(this.buf, this.pos, 0, 16);
    else this.buf.fill(0, this.pos, this.pos + 16);
    this.pos += 16;
    return this;
  }

  /** Appends bytes. Large buffers become chunks of their own unless copy is forced. */
  raw(b: Uint8Array, copy = b.length < 4096): this {
    if (b.length === 0) return this;
    if (copy) {
      this.ensure(b.length);
      this.buf.set(b, this.pos);
      this.pos += b.length;
      return this;
    }
    this.closeChunk();
    this.chunks.push(Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.length));
    this.closed += b.length;
    return this;
  }

  private closeChunk(): void {
    if (this.pos === 0) return;
    this.chunks.push(this.buf.subarray(0, this.pos));
    this.closed += this.pos;
    this.buf = this.buf.subarray(this.pos);
    if (this.buf.length < 64) this.buf = Buffer.allocUnsafe(INITIAL);
    this.pos = 0;
  }

  string(s: string): this {
    const n = Buffer.byteLength(s);
    this.int16(n);
    this.ensure(n);
    this.pos += this.buf.write(s, this.pos, 'utf8');
    return this;
  }

  nullableString(s: string | null | undefined): this {
    if (s === null || s === undefined) return this.int16(-1);
    return this.string(s);
  }

  compactString(s: string): this {
    const n = Buffer.byteLength(s);
    this.uvarint(n + 1);
    this.ensure(n);
    this.pos += this.buf.write(s, this.pos, 'utf8');
    return this;
  }

  compactNullableString(s: string | null | undefined): this {
    if (s === null || s === undefined) return this.uvarint(0);
    return this.compactString(s);
  }

  str(s: string, flexible: boolean): this {
    return flexible ? this.compactString(s) : this.string(s);
  }

  nullableStr(s: string | null | undefined, flexible: boolean): this {
    return flexible ? this.compactNullableString(s) : this.nullableString(s);
  }

  nullableBytes(b: Uint8Array | null | undefined): this {
    if (b === null || b === undefined) return this.int32(-1);
    this.int32(b.length);
    return this.raw(b);
  }

  compactNullableBytes(b: Uint8Array | null | undefined): this {
    if (b === null || b === undefined) return this.uvarint(0);
    this.uvarint(b.length + 1);
    return this.raw(b);
  }

  byteArray(b: Uint8Array, flexible: boolean): this {
    return flexible ? this.compactNullableBytes(b) : this.nullableBytes(b);
  }

  nullableByteArray(b: Uint8Array | null | undefined, flexible: boolean): this {
    return flexible ? this.compactNullableBytes(b) : this.nullableBytes(b);
  }

  arrayLength(n: number, flexible: boolean): this {
    return flexible ? this.uvarint(n + 1) : this.int32(n);
  }

  array<T>(items: readonly T[], flexible: boolean, item: (w: Writer, v: T) => void): this {
    this.arrayLength(items.length, flexible);
    for (const v of items) item(this, v);
    return this;
  }

  nullableArray<T>(
    items: readonly T[] | null | undefined,
    flexible: boolean,
    item: (w: Writer, v: T) => void,
  ): this {
    if (items === null || items === undefined) return flexible ? this.uvarint(0) : this.int32(-1);
    return this.array(items, flexible, item);
  }

  /** An empty tagged-field section, written only for flexible versions. */
  tags(flexible: boolean): this {
    if (flexible) this.uvarint(0);
    return this;
  }

  /** Starts a size-prefixed frame at the current position. */
  frame(): this {
    if (this.length !== 0) throw new Error('frame() must be called on an empty writer');
    this.ensure(4);
    this.frameAt = this.pos;
    this.pos += 4;
    return this;
  }

  /** Fills the size prefix and returns the chunks to write. */
  finishFrame(): Buffer[] {
    if (this.frameAt < 0) throw new Error('finishFrame() without frame()');
    const size = this.length - 4;
    const first = this.chunks.length > 0 ? this.chunks[0] : this.buf;
    first.writeInt32BE(size, 0);
    return this.toChunks();
  }

  toChunks(): Buffer[] {
    this.closeChunk();
    return this.chunks;
  }

  toBuffer(): Buffer {
    const chunks = this.toChunks();
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, this.closed);
  }
}
