/** Thrown by decompressors: the input is not valid for its codec, or would inflate past the allowed size. */
export class DecompressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecompressError';
  }
}

/** An output buffer for decoders whose result size is not known up front; refuses to grow past `max`. */
export class Output {
  buf: Buffer;
  pos = 0;
  readonly #max: number;

  constructor(initial: number, max: number) {
    this.#max = max;
    this.buf = Buffer.allocUnsafe(Math.max(16, Math.min(initial, max)));
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    if (need > this.#max) throw new DecompressError(`decompressed data exceeds ${this.#max} bytes`);
    const next = Buffer.allocUnsafe(Math.min(this.#max, Math.max(need, this.buf.length * 2)));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Appends `length` bytes of `src` from `start`. */
  append(src: Uint8Array, start: number, length: number): void {
    this.reserve(length);
    this.buf.set(src.subarray(start, start + length), this.pos);
    this.pos += length;
  }

  /** Copies `length` bytes from `offset` bytes back in the output (LZ77 back-references; may overlap). */
  copyBack(offset: number, length: number): void {
    if (offset <= 0 || offset > this.pos) throw new DecompressError(`back-reference ${offset} outside the output`);
    this.reserve(length);
    const buf = this.buf;
    let from = this.pos - offset;
    if (offset >= length) {
      buf.copy(buf, this.pos, from, from + length);
      this.pos += length;
      return;
    }
    for (let i = 0; i < length; i++) buf[this.pos++] = buf[from++];
  }

  result(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}
