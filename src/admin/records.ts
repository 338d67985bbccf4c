import type { BrokerRecord, OutgoingRecord } from '../broker/port.ts';
import { HeraldError } from '../errors.ts';

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

/** A message as operators write it (HTTP body, CLI): text or base64 bytes, string headers. */
export interface MessageInput {
  key?: string | null;
  /** A string is the bytes (UTF-8, or base64 with `encoding`); anything else is sent as its JSON text. */
  value: unknown;
  headers?: Record<string, string>;
  partition?: number;
  timestamp?: number;
  /** `'base64'`: key and value are base64-encoded bytes. */
  encoding?: 'utf8' | 'base64';
}

/** Standard base64, padded or not (Node's decoder would silently drop what does not belong). */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

function toBytes(value: unknown, encoding: MessageInput['encoding'], field: 'key' | 'value'): Buffer | null {
  if (value === null) return null;
  if (typeof value !== 'string') return Buffer.from(JSON.stringify(value));
  if (encoding !== 'base64') return Buffer.from(value, 'utf8');
  if (!BASE64.test(value)) {
    throw new HeraldError('HERALD_VALIDATION_FAILED', `${field} is not valid base64`, {
      details: [{ field, message: 'must be base64 (A–Z, a–z, 0–9, +, /, padded with = or not)' }],
    });
  }
  return Buffer.from(value, 'base64');
}

/** The record a {@link MessageInput} stands for, bound for `topic`. */
export function toOutgoingRecord(topic: string, input: MessageInput): OutgoingRecord {
  const record: OutgoingRecord = { topic, value: toBytes(input.value, input.encoding, 'value') };
  if (input.key !== undefined && input.key !== null) record.key = toBytes(input.key, input.encoding, 'key');
  if (input.headers) record.headers = input.headers;
  if (input.partition !== undefined) record.partition = input.partition;
  if (input.timestamp !== undefined) record.timestamp = input.timestamp;
  return record;
}

/** `record` as a {@link MessageInput} (base64 bytes), for sending it through the admin API. */
export function toMessageInput(record: OutgoingRecord): MessageInput {
  const input: MessageInput = {
    key: record.key === undefined || record.key === null ? null : Buffer.from(record.key).toString('base64'),
    value: record.value === null ? null : Buffer.from(record.value).toString('base64'),
    encoding: 'base64',
  };
  if (record.headers !== undefined) input.headers = record.headers;
  if (record.partition !== undefined) input.partition = record.partition;
  if (record.timestamp !== undefined) input.timestamp = record.timestamp;
  return input;
}
