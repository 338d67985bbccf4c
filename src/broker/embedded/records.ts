import type { BrokerRecord, Headers } from '../port.ts';

/** A stored row as the read statements return it (arrays, not objects, to save an allocation per row). */
export type RecordRow = [
  offset: number,
  timestamp: number,
  key: Uint8Array | null,
  value: Uint8Array | null,
  headers: string | null,
];

/** Headers as stored: `null` for none, so the common case costs neither JSON nor bytes. */
export function encodeHeaders(headers: Headers | undefined): string | null {
  if (headers === undefined) return null;
  for (const _ in headers) return JSON.stringify(headers);
  return null;
}

function decodeHeaders(text: string | null): Headers {
  // A fresh object per record: listeners may add headers when they forward a record.
  return text === null ? {} : (JSON.parse(text) as Headers);
}

/** SQLite hands blobs back as plain `Uint8Array`s, each over its own memory; view them as Buffers without copying. */
function asBuffer(bytes: Uint8Array | null): Buffer | null {
  return bytes === null ? null : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Bytes a record counts for against `retentionBytes`: key, value and encoded headers. */
export function recordSize(key: Uint8Array | null, value: Uint8Array | null, headers: string | null): number {
  return (key?.byteLength ?? 0) + (value?.byteLength ?? 0) + (headers === null ? 0 : Buffer.byteLength(headers));
}

/** The SQL expression computing {@link recordSize} of a stored row. */
export const RECORD_SIZE_SQL = 'ifnull(length(k),0)+ifnull(length(v),0)+ifnull(octet_length(h),0)';

export function toBrokerRecord(topic: string, partition: number, row: RecordRow): BrokerRecord {
  return {
    topic,
    partition,
    offset: row[0],
    key: asBuffer(row[2]),
    value: asBuffer(row[3]),
    headers: decodeHeaders(row[4]),
    timestamp: row[1],
  };
}
