/**
 * Kafka's message definitions as data, and one interpreter that reads and writes any of them at any version.
 *
 * Each API's request and response are transcribed from Kafka's own definitions (`common/message/*.json` in the
 * Kafka repository): a field exists in a range of versions, may be nullable in a range, may be a tagged field
 * (written only in flexible versions, only when set). Flexible versions use compact strings, arrays and bytes and
 * end every struct with a tagged-field section. Field names here are Kafka's, in camelCase.
 */
import { ProtocolError } from './errors.ts';
import type { Reader } from './reader.ts';
import { Writer } from './writer.ts';

export type Primitive =
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint16'
  | 'bool'
  | 'string'
  | 'bytes'
  | 'records'
  | 'uuid'
  | 'float64';

export interface StructType {
  kind: 'struct';
  fields: Field[];
}

export interface ArrayType {
  kind: 'array';
  of: Primitive | StructType;
}

export type FieldType = Primitive | StructType | ArrayType;

export interface Field {
  name: string;
  type: FieldType;
  min: number;
  max: number;
  nullMin: number;
  nullMax: number;
  /** Tag number of a tagged field (flexible versions only). */
  tag: number | undefined;
  default: unknown;
}

/** A request or response body: its fields and the first flexible version (`Infinity` for none). */
export interface MessageSchema {
  fields: Field[];
  flexibleFrom: number;
}

/** `'3+'`, `'0-7'`, `'5'` or `'none'` to an inclusive range. */
function versions(spec: string): [number, number] {
  if (spec === 'none') return [Infinity, -Infinity];
  const plus = /^(\d+)\+$/.exec(spec);
  if (plus) return [Number(plus[1]), Infinity];
  const range = /^(\d+)-(\d+)$/.exec(spec);
  if (range) return [Number(range[1]), Number(range[2])];
  if (/^\d+$/.test(spec)) return [Number(spec), Number(spec)];
  throw new Error(`bad version range ${spec}`);
}

export interface FieldOptions {
  /** Versions in which the field may be null. */
  nullable?: string;
  /** Tag number: a tagged field, present only in flexible versions and only when set. */
  tag?: number;
  /** Value when absent from a version (else 0, '', false, [] or null for nullable fields). */
  default?: unknown;
}

export function field(name: string, type: FieldType, range: string, options: FieldOptions = {}): Field {
  const [min, max] = versions(range);
  const [nullMin, nullMax] = options.nullable === undefined ? [Infinity, -Infinity] : versions(options.nullable);
  return { name, type, min, max, nullMin, nullMax, tag: options.tag, default: options.default };
}

export function struct(...fields: Field[]): StructType {
  return { kind: 'struct', fields };
}

export function array(of: Primitive | StructType | Field[]): ArrayType {
  return { kind: 'array', of: Array.isArray(of) ? struct(...of) : of };
}

export function message(flexible: string, ...fields: Field[]): MessageSchema {
  return { fields, flexibleFrom: flexible === 'none' ? Infinity : versions(flexible)[0] };
}

/** The value of a field the version lacks (or a tagged field not sent): null for fields nullable anywhere. */
function defaultOf(f: Field, version: number): unknown {
  if (f.default !== undefined) return f.default;
  if (f.nullMin <= f.nullMax) return null;
  const t = f.type;
  if (typeof t === 'string') {
    if (t === 'string') return '';
    if (t === 'bool') return false;
    if (t === 'bytes' || t === 'records') return Buffer.alloc(0);
    if (t === 'uuid') return '00000000000000000000000000000000';
    return 0;
  }
  if (t.kind === 'array') return [];
  return readDefaults(t.fields, version);
}

function readDefaults(fields: Field[], version: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) out[f.name] = defaultOf(f, version);
  return out;
}

function readPrimitive(t: Primitive, r: Reader, compact: boolean, nullable: boolean): unknown {
  switch (t) {
    case 'int8':
      return r.int8();
    case 'int16':
      return r.int16();
    case 'int32':
      return r.int32();
    case 'int64':
      return r.int64();
    case 'uint16':
      return r.uint16();
    case 'bool':
      return r.bool();
    case 'float64':
      return r.float64();
    case 'uuid':
      return r.uuid();
    case 'string': {
      const s = r.string(compact);
      if (s === null && !nullable) throw new ProtocolError('null in a non-nullable string');
      return s;
    }
    case 'bytes':
    case 'records': {
      const b = r.bytes(compact);
      if (b === null && !nullable) throw new ProtocolError('null in non-nullable bytes');
      return b;
    }
  }
}

function readValue(t: FieldType, r: Reader, version: number, compact: boolean, nullable: boolean): unknown {
  if (typeof t === 'string') return readPrimitive(t, r, compact, nullable);
  if (t.kind === 'struct') return readStruct(t.fields, r, version, compact);
  const n = r.arrayLength(compact);
  if (n < 0) {
    if (!nullable) throw new ProtocolError('null in a non-nullable array');
    return null;
  }
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = readValue(t.of, r, version, compact, false);
  return out;
}

function readStruct(fields: Field[], r: Reader, version: number, compact: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    if (version < f.min || version > f.max || f.tag !== undefined) {
      out[f.name] = defaultOf(f, version);
      continue;
    }
    out[f.name] = readValue(f.type, r, version, compact, version >= f.nullMin && version <= f.nullMax);
  }
  if (compact) readTaggedFields(fields, r, version, out);
  return out;
}

function readTaggedFields(fields: Field[], r: Reader, version: number, out: Record<string, unknown>): void {
  const count = r.uvarint();
  for (let i = 0; i < count; i++) {
    const tag = r.uvarint();
    const size = r.uvarint();
    const f = fields.find((x) => x.tag === tag && version >= x.min && version <= x.max);
    if (f === undefined) {
      r.skip(size);
      continue;
    }
    const end = r.pos + size;
    out[f.name] = readValue(f.type, r, version, true, version >= f.nullMin && version <= f.nullMax);
    if (r.pos !== end) throw new ProtocolError(`tagged field ${tag} is not ${size} bytes long`);
  }
}

/** Reads a message body of `version`. Throws {@link ProtocolError} on malformed bytes. */
export function decode<T>(schema: MessageSchema, r: Reader, version: number): T {
  return readStruct(schema.fields, r, version, version >= schema.flexibleFrom) as T;
}

function writePrimitive(t: Primitive, w: Writer, compact: boolean, value: unknown): void {
  switch (t) {
    case 'int8':
      w.int8(value as number);
      return;
    case 'int16':
      w.int16(value as number);
      return;
    case 'int32':
      w.int32(value as number);
      return;
    case 'int64':
      w.int64(value as number);
      return;
    case 'uint16':
      w.uint16(value as number);
      return;
    case 'bool':
      w.bool(value as boolean);
      return;
    case 'float64':
      w.float64(value as number);
      return;
    case 'uuid':
      w.uuid(value as string);
      return;
    case 'string':
      w.string(value as string | null, compact);
      return;
    case 'bytes':
      w.bytes(value as Uint8Array | null, compact);
      return;
    case 'records':
      // A fetch answer's batches come as parts (`RecordBatches`), written one after another; anything else as bytes.
      if (value !== null && !(value instanceof Uint8Array)) w.parts(value as { parts: readonly Uint8Array[]; byteLength: number }, compact);
      else w.bytes(value, compact);
      return;
  }
}

function writeValue(t: FieldType, w: Writer, version: number, compact: boolean, value: unknown): void {
  if (typeof t === 'string') return writePrimitive(t, w, compact, value);
  if (t.kind === 'struct') return writeStruct(t.fields, w, version, compact, value as Record<string, unknown>);
  if (value === null) {
    w.arrayLength(null, compact);
    return;
  }
  const items = value as unknown[];
  w.arrayLength(items.length, compact);
  for (const item of items) writeValue(t.of, w, version, compact, item);
}

function writeStruct(
  fields: Field[],
  w: Writer,
  version: number,
  compact: boolean,
  value: Record<string, unknown>,
): void {
  let tagged: Field[] | undefined;
  for (const f of fields) {
    if (version < f.min || version > f.max) continue;
    const v = value[f.name];
    if (f.tag !== undefined) {
      if (compact && v !== undefined) (tagged ??= []).push(f);
      continue;
    }
    writeValue(f.type, w, version, compact, v === undefined ? defaultOf(f, version) : v);
  }
  if (!compact) return;
  if (tagged === undefined) {
    w.uvarint(0);
    return;
  }
  tagged.sort((a, b) => a.tag! - b.tag!);
  w.uvarint(tagged.length);
  for (const f of tagged) {
    const inner = new Writer(64);
    writeValue(f.type, inner, version, true, value[f.name]);
    const bytes = inner.toBuffer();
    w.uvarint(f.tag!);
    w.uvarint(bytes.length);
    w.raw(bytes);
  }
}

/** Writes a message body of `version`; fields the version lacks are left out, missing ones take defaults. */
export function encode(schema: MessageSchema, w: Writer, version: number, value: object): void {
  writeStruct(schema.fields, w, version, version >= schema.flexibleFrom, value as Record<string, unknown>);
}
