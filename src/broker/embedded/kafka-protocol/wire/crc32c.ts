/**
 * CRC-32C (Castagnoli), the checksum of Kafka's record batches, computed by `@node-rs/crc32` with the CPU's
 * CRC instructions (already installed: the Kafka client library depends on it).
 *
 * Measured against the slicing-by-8 table code it replaces (2026-12-06, this 2-vCPU VM, a throwaway loop): 16 KiB
 * 14.0 → 2.8 µs, 1 MiB 817 → 168 µs, 200 bytes 214 → 187 ns. The table code had been 8% of the broker's samples
 * under Kafka's `ProducerPerformance` and 7% under kcat's 1 MB batches.
 */
import { crc32c as hardwareCrc32c } from '@node-rs/crc32';

/** CRC-32C of `data[start, end)`, as an unsigned 32-bit number. */
export function crc32c(data: Uint8Array, start = 0, end = data.length): number {
  return hardwareCrc32c(start === 0 && end === data.length ? data : data.subarray(start, end));
}
