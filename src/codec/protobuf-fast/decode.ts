/** Decoding on the fast path: one pass over the bytes, refusing (with OUTSIDE) whatever it does not cover. */
import { isUtf8 } from 'node:buffer';
import { ScalarType } from '@bufbuild/protobuf';
import { scalarZeroValue } from '@bufbuild/protobuf/reflect';
import { Kind, LENGTH_DELIMITED, MAX_DEPTH, type Message, type MessagePlan, OUTSIDE } from './plan.ts';

export interface Reader {
  buf: Buffer;
  pos: number;
  /** The low and high 32 bits of the last varint read by `varint64`. */
  lo: number;
  hi: number;
}

export function read(plan: MessagePlan, reader: Reader, end: number, depth: number): Message {
  if (depth > MAX_DEPTH) throw OUTSIDE;
  const message = zeroMessage(plan);
  while (reader.pos < end) {
    const tag = varint32(reader, end);
    const field = plan.byNumber.get(Math.floor(tag / 8));
    if (field === undefined) throw OUTSIDE;
    const wire = tag & 7;
    switch (field.kind) {
      case Kind.Scalar:
        if (wire !== field.wire) throw OUTSIDE;
        message[field.name] = readScalar(field.scalar, reader, end);
        break;
      case Kind.Message:
        if (wire !== LENGTH_DELIMITED || message[field.name] !== undefined) throw OUTSIDE;
        message[field.name] = readNested(field.message!, reader, end, depth);
        break;
      case Kind.MessageList:
        if (wire !== LENGTH_DELIMITED) throw OUTSIDE;
        (message[field.name] as Message[]).push(readNested(field.message!, reader, end, depth));
        break;
      case Kind.ScalarList: {
        const items = message[field.name] as unknown[];
        if (wire === field.wire) {
          items.push(readScalar(field.scalar, reader, end));
        } else if (wire === LENGTH_DELIMITED) {
          const packedEnd = lengthEnd(reader, end);
          while (reader.pos < packedEnd) items.push(readScalar(field.scalar, reader, packedEnd));
          if (reader.pos !== packedEnd) throw OUTSIDE;
        } else {
          throw OUTSIDE;
        }
        break;
      }
    }
  }
  if (reader.pos !== end) throw OUTSIDE;
  return message;
}

function readNested(plan: MessagePlan, reader: Reader, end: number, depth: number): Message {
  return read(plan, reader, lengthEnd(reader, end), depth + 1);
}

/** A message with every field at its default, shaped as the library's `create` makes it. */
function zeroMessage(plan: MessagePlan): Message {
  const message: Message = { $typeName: plan.typeName };
  for (const field of plan.fields) {
    if (field.kind === Kind.Scalar) message[field.name] = scalarZeroValue(field.scalar, false);
    else if (field.kind !== Kind.Message) message[field.name] = [];
  }
  return message;
}

function readScalar(scalar: ScalarType, reader: Reader, end: number): unknown {
  const buf = reader.buf;
  switch (scalar) {
    case ScalarType.STRING: {
      const stop = lengthEnd(reader, end);
      const start = reader.pos;
      reader.pos = stop;
      if (!isAscii(buf, start, stop) && !isUtf8(buf.subarray(start, stop))) throw OUTSIDE;
      return buf.toString('utf8', start, stop);
    }
    case ScalarType.BYTES: {
      const stop = lengthEnd(reader, end);
      const start = reader.pos;
      reader.pos = stop;
      // A view into the bytes read, as the library gives (a Uint8Array, not a Buffer).
      return new Uint8Array(buf.buffer, buf.byteOffset + start, stop - start);
    }
    case ScalarType.BOOL:
      varint64(reader, end);
      return reader.lo !== 0 || reader.hi !== 0;
    case ScalarType.DOUBLE:
      return buf.readDoubleLE(advance(reader, 8, end));
    case ScalarType.FLOAT:
      return buf.readFloatLE(advance(reader, 4, end));
    case ScalarType.FIXED32:
      return buf.readUInt32LE(advance(reader, 4, end));
    case ScalarType.SFIXED32:
      return buf.readInt32LE(advance(reader, 4, end));
    case ScalarType.FIXED64:
      return buf.readBigUInt64LE(advance(reader, 8, end));
    case ScalarType.SFIXED64:
      return buf.readBigInt64LE(advance(reader, 8, end));
    case ScalarType.INT32:
      varint64(reader, end);
      return reader.lo | 0;
    case ScalarType.UINT32:
      varint64(reader, end);
      return reader.lo >>> 0;
    case ScalarType.SINT32: {
      varint64(reader, end);
      const n = reader.lo >>> 0;
      return (n >>> 1) ^ -(n & 1);
    }
    case ScalarType.UINT64:
      varint64(reader, end);
      return unsigned64(reader);
    case ScalarType.INT64:
      varint64(reader, end);
      return reader.hi >= 0x8000_0000 ? BigInt.asIntN(64, unsigned64(reader)) : unsigned64(reader);
    default: {
      // SINT64
      varint64(reader, end);
      const n = unsigned64(reader);
      return (n >> 1n) ^ -(n & 1n);
    }
  }
}

function unsigned64(reader: Reader): bigint {
  return reader.hi < 0x20_0000
    ? BigInt(reader.hi * 0x1_0000_0000 + reader.lo)
    : (BigInt(reader.hi) << 32n) | BigInt(reader.lo);
}

function isAscii(buf: Buffer, start: number, stop: number): boolean {
  for (let i = start; i < stop; i++) if (buf[i]! >= 0x80) return false;
  return true;
}

/** The position after `size` bytes, moving there; throws when they run past `end`. */
function advance(reader: Reader, size: number, end: number): number {
  const at = reader.pos;
  if (at + size > end) throw OUTSIDE;
  reader.pos = at + size;
  return at;
}

/** Reads a length prefix; returns where the bytes it counts end. */
function lengthEnd(reader: Reader, end: number): number {
  const length = varint32(reader, end);
  const stop = reader.pos + length;
  if (stop > end) throw OUTSIDE;
  return stop;
}

/** A varint of at most 32 bits (tags and lengths). */
function varint32(reader: Reader, end: number): number {
  const buf = reader.buf;
  let value = 0;
  for (let shift = 0; shift < 28; shift += 7) {
    if (reader.pos >= end) throw OUTSIDE;
    const byte = buf[reader.pos++]!;
    value |= (byte & 0x7f) << shift;
    if (byte < 0x80) return value;
  }
  if (reader.pos >= end) throw OUTSIDE;
  const last = buf[reader.pos++]!;
  if (last > 0x0f) throw OUTSIDE;
  return value + last * 0x1000_0000;
}

/** A varint of up to 64 bits, into `reader.lo` and `reader.hi` (unsigned 32-bit halves). */
function varint64(reader: Reader, end: number): void {
  const buf = reader.buf;
  let lo = 0;
  let byte: number;
  for (let shift = 0; shift < 28; shift += 7) {
    if (reader.pos >= end) throw OUTSIDE;
    byte = buf[reader.pos++]!;
    lo |= (byte & 0x7f) << shift;
    if (byte < 0x80) {
      reader.lo = lo >>> 0;
      reader.hi = 0;
      return;
    }
  }
  if (reader.pos >= end) throw OUTSIDE;
  byte = buf[reader.pos++]!;
  lo |= (byte & 0x0f) << 28;
  let hi = (byte & 0x7f) >> 4;
  for (let shift = 3; byte >= 0x80; shift += 7) {
    if (shift > 31 || reader.pos >= end) throw OUTSIDE;
    byte = buf[reader.pos++]!;
    hi |= (byte & 0x7f) << shift;
  }
  reader.lo = lo >>> 0;
  reader.hi = hi >>> 0;
}

