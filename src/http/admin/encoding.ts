import type { BrokerRecord } from '../../broker/port.ts';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes as JSON: a UTF-8 string when the bytes are valid UTF-8, else base64 (and the caller marks the encoding). */
export function bytesToText(bytes: Buffer | null): { text: string | null; base64: boolean } {
  if (bytes === null) return { text: null, base64: false };
  try {
    return { text: strictUtf8.decode(bytes), base64: false };
  } catch {
    return { text: bytes.toString('base64'), base64: true };
  }
}

/** A record as the admin API shows it: `{partition, offset, key, value, headers, timestamp, encoding?}`. */
export interface RecordView {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
  timestamp: number;
  /** Present (`'base64'`) when key or value was not valid UTF-8 and is shown base64-encoded. */
  encoding?: 'base64';
}

export function recordView(record: BrokerRecord): RecordView {
  const key = bytesToText(record.key);
  const value = bytesToText(record.value);
  const view: RecordView = {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    key: key.text,
    value: value.text,
    headers: record.headers,
    timestamp: record.timestamp,
  };
  if (key.base64 || value.base64) {
    // One flag for both: a binary key is shown base64 too, so the pair decodes the same way.
    view.key = record.key?.toString('base64') ?? null;
    view.value = record.value?.toString('base64') ?? null;
    view.encoding = 'base64';
  }
  return view;
}
