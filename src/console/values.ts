/**
 * Record values for people: decoded with the topic's codec when Herald knows it (a processor's or emitter's
 * protobuf, say), else JSON pretty-printed, text as it is, and bytes said so — base64, with a hex dump on a
 * message's own page.
 */
import type { RecordView } from '../admin/records.ts';
import type { Codec } from '../codec/codec.ts';

/** The codec of a topic's values, when this process knows it. */
export type CodecLookup = (topic: string) => Codec<unknown> | undefined;

/** How a value is shown: its text and what it was read as (`json`, `text`, `bytes`, or a codec's name). */
export interface ShownValue {
  text: string;
  format: string;
}

/** Most bytes of a binary value the hex dump shows. */
const HEX_DUMP_BYTES = 4_096;

const bytesOf = (record: Pick<RecordView, 'value' | 'encoding'>) =>
  Buffer.from(record.value ?? '', record.encoding === 'base64' ? 'base64' : 'utf8');

/** A decoded value as JSON: 64-bit integers as strings, bytes as base64, a protobuf message's type name left out. */
function asJson(value: unknown, indent: number | undefined): string {
  return JSON.stringify(
    value,
    (key, v: unknown) => {
      if (key === '$typeName') return undefined;
      if (typeof v === 'bigint') return v.toString();
      if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
      return v;
    },
    indent,
  ) ?? String(value);
}

/** A value as shown on a message's page; `codec` decodes it when given (a value it cannot decode is shown raw, said so). */
export function showValue(record: Pick<RecordView, 'value' | 'encoding'>, codec?: Codec<unknown>): ShownValue {
  if (record.value === null) return { text: '(null: a tombstone)', format: 'null' };
  if (codec !== undefined) {
    try {
      return { text: asJson(codec.decode(bytesOf(record)), 2), format: codec.name };
    } catch (err) {
      const shown = showValue(record);
      return { ...shown, format: `${shown.format} (not ${codec.name}: ${err instanceof Error ? err.message : String(err)})` };
    }
  }
  if (record.encoding === 'base64') {
    const bytes = bytesOf(record);
    return { text: `(bytes, base64) ${record.value}\n\n${hexDump(bytes.subarray(0, HEX_DUMP_BYTES))}`, format: 'bytes' };
  }
  try {
    const parsed: unknown = JSON.parse(record.value);
    if (parsed !== null && typeof parsed === 'object') return { text: JSON.stringify(parsed, null, 2), format: 'json' };
  } catch {
    // Not JSON: shown as it is.
  }
  return { text: record.value, format: 'text' };
}

/** A value pretty-printed for a message's page (see {@link showValue}). */
export function displayValue(record: Pick<RecordView, 'value' | 'encoding'>, codec?: Codec<unknown>): string {
  return showValue(record, codec).text;
}

/** A value on one line, at most 120 characters, for lists of messages. */
export function previewValue(record: Pick<RecordView, 'value' | 'encoding'>, codec?: Codec<unknown>): string {
  if (record.value === null) return '(null)';
  if (codec !== undefined) {
    try {
      return asJson(codec.decode(bytesOf(record)), undefined).slice(0, 120);
    } catch {
      // Shown raw, as below.
    }
  }
  return record.value.slice(0, 120);
}

/** Bytes as lines of 16: offset, hex, printable ASCII. */
export function hexDump(bytes: Buffer): string {
  const lines: string[] = [];
  for (let at = 0; at < bytes.length; at += 16) {
    const row = bytes.subarray(at, at + 16);
    const hex = [...row].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const text = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${at.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${text}`);
  }
  return lines.join('\n');
}
