import { utf8Length } from '../../kit/utf8.ts';
import type { BrokerRecord, Headers } from '../port.ts';

/**
 * A stored record as reads return it (an array, not an object, to save an allocation per record): offset,
 * timestamp, key, value and headers (`null` for none). Rows are shared by every reader of the tail cache, so their
 * bytes and headers are read-only; {@link toBrokerRecord} gives each consumer its own headers object.
 */
export type RecordRow = [
  offset: number,
  timestamp: number,
  key: Uint8Array | null,
  value: Uint8Array | null,
  headers: Headers | null,
];

/**
 * Headers as stored: `null` for none, so the common case costs nothing, else a copy (the sender may change its
 * object once the send resolves).
 */
export function storedHeaders(headers: Headers | undefined): Headers | null {
  if (headers === undefined) return null;
  for (const _ in headers) return { ...headers };
  return null;
}

/**
 * Stored keys and values as Buffers: as they are when they are (decoded batches and the tail cache make Buffers),
 * else viewed without copying (SQLite hands blobs back as plain `Uint8Array`s).
 */
function asBuffer(bytes: Uint8Array | null): Buffer | null {
  if (bytes === null || Buffer.isBuffer(bytes)) return bytes;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** UTF-8 bytes of header names and values. */
export function headerBytes(headers: Headers | null): number {
  if (headers === null) return 0;
  let size = 0;
  for (const name in headers) size += utf8Length(name) + utf8Length(headers[name]);
  return size;
}

/**
 * Bytes a record counts for against `retentionBytes` and in a partition's size: key, value, and the UTF-8 bytes of
 * header names and values.
 */
export function recordSize(key: Uint8Array | null, value: Uint8Array | null, headers: Headers | null): number {
  return (key?.byteLength ?? 0) + (value?.byteLength ?? 0) + headerBytes(headers);
}

export function toBrokerRecord(topic: string, partition: number, row: RecordRow): BrokerRecord {
  const headers = row[4];
  return {
    topic,
    partition,
    offset: row[0],
    key: asBuffer(row[2]),
    value: asBuffer(row[3]),
    // A fresh object per record: listeners may add headers when they forward a record.
    headers: headers === null ? {} : { ...headers },
    timestamp: row[1],
  };
}
