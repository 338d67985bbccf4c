/**
 * Decompression of record batches by the codec in their attributes. Only decompression: fetch responses are
 * sent uncompressed. Every codec bounds its output (`max`), so a small batch cannot inflate without limit.
 */
import zlib from 'node:zlib';
import { DecompressError } from './growable.ts';
import { lz4Decompress } from './lz4.ts';
import { snappyDecompress } from './snappy.ts';

export { DecompressError } from './growable.ts';

/** Codec ids of the record batch attributes (bits 0-2). */
export const Compression = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;

function zlibCall(fn: () => Buffer, codec: string): Buffer {
  try {
    return fn();
  } catch (err) {
    throw new DecompressError(`${codec}: ${(err as Error).message}`);
  }
}

/** The decompressed bytes of `data` compressed with `codec`. Throws {@link DecompressError}. */
export function decompress(codec: number, data: Buffer, max: number): Buffer {
  switch (codec) {
    case Compression.gzip:
      return zlibCall(() => zlib.gunzipSync(data, { maxOutputLength: max }), 'gzip');
    case Compression.zstd:
      return zlibCall(() => zlib.zstdDecompressSync(data, { maxOutputLength: max }), 'zstd');
    case Compression.snappy:
      return snappyDecompress(data, max);
    case Compression.lz4:
      return lz4Decompress(data, max);
    default:
      throw new DecompressError(`unknown compression codec ${codec}`);
  }
}
