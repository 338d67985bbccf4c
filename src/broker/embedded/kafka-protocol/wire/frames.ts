import { ProtocolError } from './errors.ts';

/**
 * Cuts a byte stream into Kafka frames: a 4-byte big-endian size, then that many bytes. A negative size or one
 * above `maxFrameBytes` throws {@link ProtocolError} as soon as the size is read, before anything is buffered
 * for it, so a hostile size cannot make the process allocate. (A frame too short for a request header fails when
 * its header is read.)
 */
export class FrameDecoder {
  readonly #max: number;
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** Size of the frame being assembled, once its 4 size bytes are in. */
  #size = -1;

  constructor(maxFrameBytes: number) {
    this.#max = maxFrameBytes;
  }

  /** Bytes received but not yet handed out as frames. */
  get buffered(): number {
    return this.#buffered;
  }

  /** Feeds bytes; returns the frames completed by them (without their size prefix), in order. */
  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    for (;;) {
      if (this.#size < 0) {
        if (this.#buffered < 4) break;
        this.#size = this.#take(4).readInt32BE(0);
        if (this.#size < 0 || this.#size > this.#max) {
          const size = this.#size;
          this.#size = -1;
          throw new ProtocolError(
            size > this.#max ? `frame of ${size} bytes exceeds the limit of ${this.#max}` : `frame size ${size} is invalid`,
          );
        }
      }
      if (this.#buffered < this.#size) break;
      frames.push(this.#take(this.#size));
      this.#size = -1;
    }
    return frames;
  }

  /** The next `n` buffered bytes, as a view when they lie in one chunk. */
  #take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    this.#buffered -= n;
    const first = this.#chunks[0];
    if (first.length >= n) {
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const chunk = this.#chunks[0];
      const part = Math.min(chunk.length, n - at);
      chunk.copy(out, at, 0, part);
      at += part;
      if (part === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(part);
    }
    return out;
  }
}
