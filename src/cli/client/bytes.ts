import type { RecordView } from '../../admin/records.ts';
import { UsageError } from '../command.ts';

/** How values are written on the command line and printed: raw bytes (`utf8`), or text as `base64` or `hex`. */
export type Encoding = 'utf8' | 'base64' | 'hex';

const ENCODINGS: readonly Encoding[] = ['utf8', 'base64', 'hex'];
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const HEX = /^([0-9a-fA-F]{2})*$/;

/** The `--value-encoding` flag's value. */
export function encodingFlag(raw: unknown): Encoding {
  if (raw === undefined) return 'utf8';
  if (typeof raw === 'string' && (ENCODINGS as readonly string[]).includes(raw)) return raw as Encoding;
  throw new UsageError(`--value-encoding must be one of ${ENCODINGS.join(', ')}, not '${String(raw)}'`);
}

/**
 * The bytes a value given on the command line stands for: as they are (`utf8`), or decoded from base64 or hex.
 * @throws UsageError for text that is not valid in its encoding (nothing is sent).
 */
export function decodeValue(input: Buffer, encoding: Encoding): Buffer {
  if (encoding === 'utf8') return input;
  const text = input.toString('latin1').trim();
  const valid = encoding === 'base64' ? BASE64.test(text) && text.length % 4 === 0 : HEX.test(text);
  if (!valid) throw new UsageError(`value is not valid ${encoding}: '${text.slice(0, 40)}'`);
  return Buffer.from(text, encoding);
}

/** Bytes printed in `encoding`: as they are, or as base64 or hex text. */
export function encodeValue(bytes: Buffer, encoding: Encoding): Buffer {
  return encoding === 'utf8' ? bytes : Buffer.from(bytes.toString(encoding));
}

/** The key or value bytes a record view carries (its text is UTF-8, or base64 when it says so). */
export function viewBytes(view: RecordView, field: 'key' | 'value'): Buffer | null {
  const text = view[field];
  if (text === null) return null;
  return Buffer.from(text, view.encoding === 'base64' ? 'base64' : 'utf8');
}

/** Splits `input` at every `delimiter`, dropping empty pieces (a trailing delimiter makes no empty record). */
export function splitBytes(input: Buffer, delimiter: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let from = 0;
  for (let at = input.indexOf(delimiter, from); at >= 0; at = input.indexOf(delimiter, from)) {
    if (at > from) out.push(input.subarray(from, at));
    from = at + delimiter.length;
  }
  if (from < input.length) out.push(input.subarray(from));
  return out;
}

/** A delimiter as typed: `\n`, `\t`, `\0` and `\\` escapes understood, as kcat does. */
export function delimiterFlag(raw: unknown, name: string, fallback: string): Buffer {
  const text = raw === undefined ? fallback : String(raw);
  const unescaped = text.replace(/\\([nt0\\r])/g, (_, c: string) => ({ n: '\n', t: '\t', '0': '\0', r: '\r', '\\': '\\' })[c]!);
  if (unescaped.length === 0) throw new UsageError(`--${name} must not be empty`);
  return Buffer.from(unescaped);
}
