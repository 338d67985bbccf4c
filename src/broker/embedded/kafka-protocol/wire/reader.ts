import { ProtocolError } from './errors.ts';

const TWO_32 = 4_294_967_296;

/**
 * Reads Kafka's primitive types from one buffer, big-endian, with bounds checks: reading past the end throws a
 * {@link ProtocolError} (a truncated or lying request), never a RangeError or garbage. Byte strings come back as
 * views into the buffer, not copies.
 */
export class Reader {
  readonly buf: Buffer;
  pos: number;
  readonly end: number;

  constructor(buf: Buffer, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  #need(n: number): number {
    const at = this.pos;
    if (n < 0 || at + n > this.end) throw new ProtocolError(`truncated: needed ${n} bytes at ${at}, ${this.end - at} left`);
    this.pos = at + n;
    return at;
  }

  int8(): number {
    return this.buf.readInt8(this.#need(1));
  }

  int16(): number {
    return this.buf.readInt16BE(this.#need(2));
  }

  uint16(): number {
    return this.buf.readUInt16BE(this.#need(2));
  }

  int32(): number {
    return this.buf.readInt32BE(this.#need(4));
  }

  uint32(): number {
    return this.buf.readUInt32BE(this.#need(4));
  }

  /**
   * A 64-bit integer as a number. Offsets, timestamps and producer ids stay within ±2^53, where numbers are exact;
   * a value outside is refused rather than rounded (a rounded offset could be stored and not read back).
   */
  int64(): number {
    const at = this.#need(8);
    const value = this.buf.readInt32BE(at) * TWO_32 + this.buf.readUInt32BE(at + 4);
    if (!Number.isSafeInteger(value)) throw new ProtocolError(`64-bit value at ${at} is beyond 2^53`);
    return value;
  }

  float64(): number {
    return this.buf.readDoubleBE(this.#need(8));
  }

  bool(): boolean {
    return this.buf[this.#need(1)] !== 0;
  }

  /**
   * Unsigned varint of at most 5 bytes (lengths, counts, tags). A one-byte varint (most of a record's) is read
   * without the loop, and the loop scales by a running product instead of `2 ** shift`, as in `records/plain.ts`.
   */
  uvarint(): number {
    const first = this.pos;
    if (first < this.end) {
      const byte = this.buf[first];
      if (byte < 0x80) {
        this.pos = first + 1;
        return byte;
      }
    }
    let value = 0;
    let scale = 1;
    for (let n = 0; n < 5; n++) {
      const byte = this.buf[this.#need(1)];
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (value > 0xffffffff) break;
        return value;
      }
      scale *= 0x80;
    }
    throw new ProtocolError('malformed varint');
  }

  /** Zig-zag signed varint (32-bit). */
  varint(): number {
    const raw = this.uvarint();
    return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
  }

  /** Zig-zag signed varlong (64-bit), as a number; refused beyond ±2^53 like {@link int64}. */
  varlong(): number {
    let value = 0;
    let scale = 1;
    for (let n = 0; n < 7; n++) {
      const byte = this.buf[this.#need(1)];
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
      scale *= 0x80;
    }
    // Rare: more than 49 bits before zig-zag decoding; exact arithmetic for the rest.
    let big = BigInt(value);
    for (let shift = 49n; shift < 70n; shift += 7n) {
      const byte = this.buf[this.#need(1)];
      big += BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) {
        const decoded = Number(big & 1n ? -((big + 1n) >> 1n) : big >> 1n);
        if (Number.isSafeInteger(decoded)) return decoded;
        break;
      }
    }
    throw new ProtocolError('malformed or oversized varlong');
  }

  /** 16 bytes as 32 lowercase hex digits. */
  uuid(): string {
    const at = this.#need(16);
    return this.buf.toString('hex', at, at + 16);
  }

  /** A string: int16 length (classic) or uvarint length + 1 (compact); `null` for length -1 / 0. */
  string(compact: boolean): string | null {
    const length = compact ? this.uvarint() - 1 : this.int16();
    if (length < 0) return null;
    const at = this.#need(length);
    return this.buf.toString('utf8', at, at + length);
  }

  /** Bytes: int32 length (classic) or uvarint length + 1 (compact); `null` for length -1 / 0. A view, not a copy. */
  bytes(compact: boolean): Buffer | null {
    const length = compact ? this.uvarint() - 1 : this.int32();
    if (length < 0) return null;
    const at = this.#need(length);
    return this.buf.subarray(at, at + length);
  }

  /** Bytes of a known length as a plain `Uint8Array` view (cheaper to make than a Buffer). */
  view(length: number): Uint8Array {
    const at = this.#need(length);
    return new Uint8Array(this.buf.buffer, this.buf.byteOffset + at, length);
  }

  /** Raw bytes of a known length, as a view. */
  raw(length: number): Buffer {
    const at = this.#need(length);
    return this.buf.subarray(at, at + length);
  }

  /** An array length: int32 (classic) or uvarint - 1 (compact); -1 means null. Bounded by the bytes left. */
  arrayLength(compact: boolean): number {
    const length = compact ? this.uvarint() - 1 : this.int32();
    // Every element takes at least one byte: a larger count is a lie that would make us allocate for nothing.
    if (length < -1 || length > this.remaining) {
      throw new ProtocolError(`array of ${length} elements in ${this.remaining} bytes`);
    }
    return length;
  }

  skip(n: number): void {
    this.#need(n);
  }
}
