/**
 * Snappy decompression, in both shapes Kafka clients send: the Java client's xerial framing (a magic header, then
 * length-prefixed raw blocks) and a bare raw block (librdkafka and others).
 */
import { DecompressError, Output } from './growable.ts';

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER = 16;

function readUvarint(data: Uint8Array, at: number): [value: number, next: number] {
  let value = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (at >= data.length) break;
    const byte = data[at++];
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [value, at];
  }
  throw new DecompressError('snappy: malformed length');
}

/** Decodes one raw snappy block `data[start, end)` onto `out`. */
function rawBlock(data: Uint8Array, start: number, end: number, out: Output): void {
  const [length, first] = readUvarint(data.subarray(0, end), start);
  const expectedEnd = out.pos + length;
  out.reserve(length);
  let at = first;
  while (at < end) {
    const tag = data[at++];
    const kind = tag & 3;
    if (kind === 0) {
      let n = tag >>> 2;
      if (n >= 60) {
        const extra = n - 59;
        if (at + extra > end) throw new DecompressError('snappy: truncated literal length');
        n = 0;
        for (let i = 0; i < extra; i++) n += data[at + i] * 2 ** (8 * i);
        at += extra;
      }
      n += 1;
      if (at + n > end) throw new DecompressError('snappy: truncated literal');
      out.append(data, at, n);
      at += n;
      continue;
    }
    let len: number;
    let offset: number;
    if (kind === 1) {
      if (at + 1 > end) throw new DecompressError('snappy: truncated copy');
      len = 4 + ((tag >>> 2) & 7);
      offset = ((tag >>> 5) << 8) | data[at++];
    } else if (kind === 2) {
      if (at + 2 > end) throw new DecompressError('snappy: truncated copy');
      len = (tag >>> 2) + 1;
      offset = data[at] | (data[at + 1] << 8);
      at += 2;
    } else {
      if (at + 4 > end) throw new DecompressError('snappy: truncated copy');
      len = (tag >>> 2) + 1;
      offset = (data[at] | (data[at + 1] << 8) | (data[at + 2] << 16) | (data[at + 3] << 24)) >>> 0;
      at += 4;
    }
    if (out.pos + len > expectedEnd) throw new DecompressError('snappy: block longer than announced');
    out.copyBack(offset, len);
  }
  if (out.pos !== expectedEnd) throw new DecompressError('snappy: block shorter than announced');
}

/** Decompresses snappy data (xerial-framed or raw), refusing output larger than `max` bytes. */
export function snappyDecompress(data: Buffer, max: number): Buffer {
  if (data.length >= XERIAL_HEADER && data.subarray(0, 8).equals(XERIAL_MAGIC)) {
    const out = new Output(data.length * 2, max);
    let at = XERIAL_HEADER;
    while (at < data.length) {
      if (at + 4 > data.length) throw new DecompressError('snappy: truncated xerial block size');
      const size = data.readInt32BE(at);
      at += 4;
      if (size < 0 || at + size > data.length) throw new DecompressError('snappy: truncated xerial block');
      rawBlock(data, at, at + size, out);
      at += size;
    }
    return out.result();
  }
  const [length] = readUvarint(data, 0);
  if (length > max) throw new DecompressError(`decompressed data exceeds ${max} bytes`);
  const out = new Output(length, max);
  rawBlock(data, 0, data.length, out);
  return out.result();
}
