/**
 * Record headers between Kafka and Herald. Kafka headers are byte values under string names, repeatable, possibly
 * null; Herald's port carries one UTF-8 string per name. A produced batch whose headers do not fit that — a value
 * that is not valid UTF-8, a null value, a name given twice — is refused with INVALID_RECORD and a message saying
 * why, rather than stored altered. Everything accepted comes back byte for byte (the embedded log stores Herald
 * headers and encodes them as UTF-8 pairs again).
 */
import { isUtf8 } from 'node:buffer';
import type { Headers } from '../../../port.ts';

/** Thrown for headers Herald cannot carry unchanged. */
export class HeaderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HeaderError';
  }
}

function text(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

/** Kafka headers of one record as Herald headers, or `undefined` for none. Throws {@link HeaderError}. */
export function toHeraldHeaders(pairs: readonly [name: Uint8Array, value: Uint8Array | null][]): Headers | undefined {
  if (pairs.length === 0) return undefined;
  const headers: Headers = {};
  for (const [nameBytes, value] of pairs) {
    if (!isUtf8(nameBytes)) throw new HeaderError('a header name is not valid UTF-8');
    const name = text(nameBytes);
    if (value === null) throw new HeaderError(`header ${JSON.stringify(name)} has a null value; Herald headers are text`);
    if (!isUtf8(value)) {
      throw new HeaderError(`header ${JSON.stringify(name)} is not valid UTF-8; Herald headers are UTF-8 text`);
    }
    if (Object.hasOwn(headers, name)) throw new HeaderError(`header ${JSON.stringify(name)} is given twice`);
    // Defined, not assigned: a header named `__proto__` must stay a header.
    Object.defineProperty(headers, name, { value: text(value), enumerable: true, writable: true, configurable: true });
  }
  return headers;
}
