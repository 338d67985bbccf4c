import { randomFillSync } from 'node:crypto';

/** Random bytes are drawn from the system this many at a time: one call per 256 ids instead of one per id. */
const POOL_BYTES = 4_096;
let pool = Buffer.alloc(0);
let used = POOL_BYTES;

/**
 * A version 7 UUID (RFC 9562): 48 bits of Unix milliseconds, then random bits. Ids made later sort later, so a
 * B-tree keyed by them grows at its end — a database index of random (v4) ids touches a different page per insert,
 * and every commit writes each touched page again.
 */
export function uuidv7(now = Date.now()): string {
  if (used + 16 > pool.length) {
    // A fresh buffer, not a refill: earlier ids' bytes are never written again.
    pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
    used = 0;
  }
  const bytes = pool.subarray(used, used + 16);
  used += 16;
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = (bytes[6] & 0x0f) | 0x70;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
