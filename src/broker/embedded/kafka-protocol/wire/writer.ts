const TWO_32 = 4_294_967_296;
/** Byte strings at least this long are kept as chunks of their own instead of being copied. */
const CHUNK_THRESHOLD = 1024;
const INITIAL = 256;

/**
 * Writes Kafka's primitive types into a growing buffer. Large byte strings (record batches in fetch responses)
 * are not copied: they become chunks of their own, and {@link chunks} hands the whole as a list for one
 * `writev`.
 */
export class Writer {
  #chunks: Buffer[] = [];
  #buf: Buffer;
  #pos = 0;
  #flushed = 0;

  constructor(initial = INITIAL) {
    this.#buf = Buffer.allocUnsafe(initial);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#flushed + this.#pos;
  }

  #ensure(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    const size = Math.max(this.#buf.length * 2, this.#pos + n);
    const next = Buffer.allocUnsafe(size);
    this.#buf.copy(next, 0, 0, this.#pos);
    this.#buf = next;
  }

  int8(v: number): this {
    this.#ensure(1);
    this.#buf.writeInt8(v, this.#pos);
    this.#pos += 1;
    return this;
  }

  int16(v: number): this {
    this.#ensure(2);
    this.#buf.writeInt16BE(v, this.#pos);
    this.#pos += 2;
    return this;
  }

  uint16(v: number): this {
    this.#ensure(2);
    this.#buf.writeUInt16BE(v, this.#pos);
    this.#pos += 2;
    return this;
  }

  int32(v: number): this {
    this.#ensure(4);
    this.#buf.writeInt32BE(v, this.#pos);
    this.#pos += 4;
    return this;
  }

  uint32(v: number): this {
    this.#ensure(4);
    this.#buf.writeUInt32BE(v >>> 0, this.#pos);
    this.#pos += 4;
    return this;
  }

  /** A 64-bit integer from a number (exact within ±2^53). */
  int64(v: number): this {
    this.#ensure(8);
    const hi = Math.floor(v / TWO_32);
    this.#buf.writeInt32BE(hi, this.#pos);
    this.#buf.writeUInt32BE(v - hi * TWO_32, this.#pos + 4);
    this.#pos += 8;
    return this;
  }

  float64(v: number): this {
    this.#ensure(8);
    this.#buf.writeDoubleBE(v, this.#pos);
    this.#pos += 8;
    return this;
  }

  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }

  uvarint(v: number): this {
    this.#ensure(10);
    while (v >= 0x80) {
      this.#buf[this.#pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.#buf[this.#pos++] = v;
    return this;
  }

  /** Zig-zag signed varint/varlong. */
  varint(v: number): this {
    if (Math.abs(v) < 2 ** 52) return this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
    // Beyond 2^52 the zig-zag value is not exact as a number.
    let u = v >= 0 ? BigInt(v) * 2n : BigInt(-v) * 2n - 1n;
    this.#ensure(10);
    while (u >= 0x80n) {
      this.#buf[this.#pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.#buf[this.#pos++] = Number(u);
    return this;
  }

  /** 32 hex digits (or the all-zero id for an empty string). */
  uuid(hex: string): this {
    this.#ensure(16);
    if (hex.length === 32) this.#buf.write(hex, this.#pos, 16, 'hex');
    else this.#buf.fill(0, this.#pos, this.#pos + 16);
    this.#pos += 16;
    return this;
  }

  string(v: string | null, compact: boolean): this {
    if (v === null) return compact ? this.uvarint(0) : this.int16(-1);
    const length = Buffer.byteLength(v);
    if (compact) this.uvarint(length + 1);
    else this.int16(length);
    this.#ensure(length);
    this.#buf.write(v, this.#pos, length, 'utf8');
    this.#pos += length;
    return this;
  }

  bytes(v: Uint8Array | null, compact: boolean): this {
    if (v === null) return compact ? this.uvarint(0) : this.int32(-1);
    if (compact) this.uvarint(v.byteLength + 1);
    else this.int32(v.byteLength);
    return this.raw(v);
  }

  /** Bytes given as parts (`byteLength` in all), written as one length-prefixed byte string without joining them. */
  parts(v: { parts: readonly Uint8Array[]; byteLength: number }, compact: boolean): this {
    if (compact) this.uvarint(v.byteLength + 1);
    else this.int32(v.byteLength);
    for (const part of v.parts) this.raw(part);
    return this;
  }

  arrayLength(n: number | null, compact: boolean): this {
    if (n === null) return compact ? this.uvarint(0) : this.int32(-1);
    return compact ? this.uvarint(n + 1) : this.int32(n);
  }

  /** Appends bytes as they are; large ones by reference (do not change them until the response is written). */
  raw(v: Uint8Array): this {
    if (v.byteLength >= CHUNK_THRESHOLD) {
      this.#flush();
      this.#chunks.push(Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength));
      this.#flushed += v.byteLength;
      return this;
    }
    this.#ensure(v.byteLength);
    this.#buf.set(v, this.#pos);
    this.#pos += v.byteLength;
    return this;
  }

  #flush(): void {
    if (this.#pos === 0) return;
    this.#chunks.push(this.#buf.subarray(0, this.#pos));
    this.#flushed += this.#pos;
    this.#buf = this.#buf.subarray(this.#pos);
    this.#pos = 0;
    if (this.#buf.length < 64) this.#buf = Buffer.allocUnsafe(INITIAL);
  }

  /** Everything written, as a list of chunks (the writer must not be used afterwards). */
  chunks(): Buffer[] {
    this.#flush();
    return this.#chunks;
  }

  /** Everything written, as one buffer. */
  toBuffer(): Buffer {
    const chunks = this.chunks();
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
  }
}
