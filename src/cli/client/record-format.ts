import type { RecordView } from '../../admin/records.ts';
import { UsageError } from '../command.ts';
import { type Encoding, encodeValue, viewBytes } from './bytes.ts';

/** Turns a record into the bytes `herald consume` prints for it. */
export type RecordFormatter = (record: RecordView) => Buffer;

/** On a terminal: `partition/offset key: value`, one line each record (no `key: ` for a record without one). */
function textFormatter(encoding: Encoding): RecordFormatter {
  const keyed = templateFormatter('%p/%o %k: %s\\n', encoding);
  const unkeyed = templateFormatter('%p/%o %s\\n', encoding);
  return (record) => (record.key === null ? unkeyed(record) : keyed(record));
}

const TOKENS: Record<string, (record: RecordView, encoding: Encoding) => Buffer> = {
  s: (r, e) => encodeValue(viewBytes(r, 'value') ?? Buffer.alloc(0), e),
  k: (r, e) => encodeValue(viewBytes(r, 'key') ?? Buffer.alloc(0), e),
  S: (r) => Buffer.from(String(viewBytes(r, 'value')?.length ?? -1)),
  K: (r) => Buffer.from(String(viewBytes(r, 'key')?.length ?? -1)),
  t: (r) => Buffer.from(r.topic),
  p: (r) => Buffer.from(String(r.partition)),
  o: (r) => Buffer.from(String(r.offset)),
  T: (r) => Buffer.from(String(r.timestamp)),
  h: (r) => Buffer.from(Object.entries(r.headers).map(([k, v]) => `${k}=${v}`).join(',')),
  '%': () => Buffer.from('%'),
};

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\' };

/**
 * A `--format` template as kcat's `-f`: `%s` value and `%k` key (the bytes as they are, or in `--value-encoding`),
 * `%S`/`%K` their sizes (-1 for none), `%t` topic, `%p` partition, `%o` offset, `%T` timestamp (epoch ms),
 * `%h` headers (`name=value,…`), `%%`; `\n`, `\t`, `\r`, `\0`, `\\` escapes.
 * @throws UsageError for an unknown `%` token.
 */
export function templateFormatter(template: string, encoding: Encoding): RecordFormatter {
  const parts: (Buffer | ((record: RecordView) => Buffer))[] = [];
  let literal = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if ((c === '%' || c === '\\') && i + 1 < template.length) {
      const next = template[++i];
      if (c === '\\') {
        literal += ESCAPES[next] ?? `\\${next}`;
        continue;
      }
      const token = TOKENS[next];
      if (token === undefined) throw new UsageError(`--format: unknown token %${next} (%s %k %S %K %t %p %o %T %h %%)`);
      if (literal) parts.push(Buffer.from(literal));
      literal = '';
      parts.push((record) => token(record, encoding));
    } else literal += c;
  }
  if (literal) parts.push(Buffer.from(literal));
  return (record) => Buffer.concat(parts.map((part) => (Buffer.isBuffer(part) ? part : part(record))));
}

/** JSON lines: the record's view, its key and value in `--value-encoding` when one is given. */
export function jsonFormatter(encoding: Encoding): RecordFormatter {
  return (record) => {
    if (encoding === 'utf8') return Buffer.from(`${JSON.stringify(record)}\n`);
    const key = viewBytes(record, 'key');
    const value = viewBytes(record, 'value');
    const view = {
      ...record,
      key: key?.toString(encoding) ?? null,
      value: value?.toString(encoding) ?? null,
      encoding,
    };
    return Buffer.from(`${JSON.stringify(view)}\n`);
  };
}

/** `--format json`, `text` (the terminal default), or a template. */
export function recordFormatter(format: string, encoding: Encoding): RecordFormatter {
  if (format === 'json') return jsonFormatter(encoding);
  if (format === 'text') return textFormatter(encoding);
  return templateFormatter(format, encoding);
}
