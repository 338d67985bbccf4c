/**
 * UTF-8 sizes and writes of short strings (header names and values) in JavaScript: for a string of a few dozen
 * characters a call into C++ (`Buffer.byteLength`, `buf.write`) costs more than the bytes themselves — header
 * encoding was ~6% of a batch-ingest profile. Longer strings go to the built-ins.
 */

/** Strings up to this length are measured and written here; longer ones by `Buffer`. */
const SHORT = 64;

/** Bytes of `text` in UTF-8 (a lone surrogate counts 3, as it is written as U+FFFD). */
export function utf8Length(text: string): number {
  const length = text.length;
  if (length > SHORT) return Buffer.byteLength(text, 'utf8');
  let bytes = length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 2; // a surrogate pair: two characters, four bytes
      i++;
    } else bytes += 2;
  }
  return bytes;
}

/** Writes `text`, whose UTF-8 size is `bytes` (see {@link utf8Length}), into `buf` at `at`; returns the end. */
export function writeUtf8(buf: Buffer, at: number, text: string, bytes: number): number {
  const length = text.length;
  if (bytes !== length || length > SHORT) return at + buf.write(text, at, bytes, 'utf8');
  for (let i = 0; i < length; i++) buf[at + i] = text.charCodeAt(i);
  return at + length;
}
