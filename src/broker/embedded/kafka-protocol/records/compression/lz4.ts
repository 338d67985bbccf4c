/**
 * LZ4 decompression of the LZ4 frame format Kafka uses for record batches (magic 0x184D2204). Checksums are not
 * verified: the record batch's own CRC-32C already covers the compressed bytes.
 */
import { DecompressError, Output } from './growable.ts';

const MAGIC = 0x184d2204;
const BLOCK_SIZES = [0, 0, 0, 0, 64 << 10, 256 << 10, 1 << 20, 4 << 20];

/** Decodes one LZ4 block `data[start, end)` onto `out` (earlier output serves as history for linked blocks). */
function block(data: Uint8Array, start: number, end: number, out: Output): void {
  let at = start;
  while (at < end) {
    const token = data[at++];
    let literals = token >>> 4;
    if (literals === 15) {
      for (;;) {
        if (at >= end) throw new DecompressError('lz4: truncated literal length');
        const b = data[at++];
        literals += b;
        if (b !== 255) break;
      }
    }
    if (at + literals > end) throw new DecompressError('lz4: truncated literals');
    out.append(data, at, literals);
    at += literals;
    if (at === end) return; // the last sequence has literals only
    if (at + 2 > end) throw new DecompressError('lz4: truncated match offset');
    const offset = data[at] | (data[at + 1] << 8);
    at += 2;
    let length = (token & 15) + 4;
    if ((token & 15) === 15) {
      for (;;) {
        if (at >= end) throw new DecompressError('lz4: truncated match length');
        const b = data[at++];
        length += b;
        if (b !== 255) break;
      }
    }
    out.copyBack(offset, length);
  }
}

/** Decompresses an LZ4 frame, refusing output larger than `max` bytes. */
export function lz4Decompress(data: Buffer, max: number): Buffer {
  if (data.length < 7 || data.readUInt32LE(0) !== MAGIC) throw new DecompressError('lz4: not an LZ4 frame');
  const flags = data[4];
  if (flags >>> 6 !== 1) throw new DecompressError('lz4: unsupported frame version');
  const blockChecksums = (flags & 0x10) !== 0;
  const contentSize = (flags & 0x08) !== 0;
  const contentChecksum = (flags & 0x04) !== 0;
  const dictionary = (flags & 0x01) !== 0;
  const maxBlock = BLOCK_SIZES[(data[5] >>> 4) & 7];
  if (maxBlock === 0) throw new DecompressError('lz4: invalid block size');
  let at = 6 + (contentSize ? 8 : 0) + (dictionary ? 4 : 0) + 1; // + header checksum
  const out = new Output(Math.min(data.length * 3, maxBlock), max);
  for (;;) {
    if (at + 4 > data.length) throw new DecompressError('lz4: truncated block size');
    const word = data.readUInt32LE(at);
    at += 4;
    if (word === 0) break;
    const size = word & 0x7fffffff;
    if (size > maxBlock || at + size > data.length) throw new DecompressError('lz4: truncated or oversized block');
    if (word & 0x80000000) out.append(data, at, size);
    else block(data, at, at + size, out);
    at += size + (blockChecksums ? 4 : 0);
  }
  if (contentChecksum) at += 4;
  if (at > data.length) throw new DecompressError('lz4: truncated frame');
  return out.result();
}
