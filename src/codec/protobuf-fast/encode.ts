/** Encoding on the fast path: measure a message (checking every value), then write it into a buffer of its size. */
import { ScalarType } from '@bufbuild/protobuf';
import { Kind, LENGTH_DELIMITED, type FieldPlan, type Message, type MessagePlan, OUTSIDE } from './plan.ts';

/** The encoded size of `message`; the sizes of nested messages are pushed onto `sizes` in the order written. */
export function measure(plan: MessagePlan, message: Message, sizes: number[]): number {
  if (message.$typeName !== plan.typeName || message.$unknown !== undefined) throw OUTSIDE;
  let size = 0;
  for (const field of plan.fields) {
    const value = message[field.name];
    switch (field.kind) {
      case Kind.Scalar:
        if (isDefault(field, value)) break;
        size += tagSize(field.number) + scalarSize(field.scalar, value);
        break;
      case Kind.Message:
        if (value === undefined) break;
        size += tagSize(field.number) + nestedSize(field.message!, value, sizes);
        break;
      case Kind.ScalarList: {
        if (!Array.isArray(value)) throw OUTSIDE;
        if (value.length === 0) break;
        let body = 0;
        for (const item of value) body += scalarSize(field.scalar, item);
        if (field.packed) size += tagSize(field.number) + varintSize(body) + body;
        else size += tagSize(field.number) * value.length + body;
        break;
      }
      case Kind.MessageList:
        if (!Array.isArray(value)) throw OUTSIDE;
        for (const item of value) size += tagSize(field.number) + nestedSize(field.message!, item, sizes);
        break;
    }
  }
  return size;
}

function nestedSize(plan: MessagePlan, value: unknown, sizes: number[]): number {
  if (typeof value !== 'object' || value === null) throw OUTSIDE;
  const slot = sizes.push(0) - 1;
  const size = measure(plan, value as Message, sizes);
  sizes[slot] = size;
  return varintSize(size) + size;
}

function isDefault(field: FieldPlan, value: unknown): boolean {
  switch (field.scalar) {
    case ScalarType.STRING:
      return value === '';
    case ScalarType.BOOL:
      return value === false;
    case ScalarType.BYTES:
      return value instanceof Uint8Array && value.byteLength === 0;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return Object.is(value, 0);
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return value === 0n;
    default:
      return value === 0;
  }
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const FLOAT32_MAX = 3.4028234663852886e38;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** The encoded size of one scalar (without its tag), after checking that the library would accept it as is. */
function scalarSize(scalar: ScalarType, value: unknown): number {
  switch (scalar) {
    case ScalarType.STRING: {
      if (typeof value !== 'string') throw OUTSIDE;
      const length = Buffer.byteLength(value);
      return varintSize(length) + length;
    }
    case ScalarType.BYTES:
      if (!(value instanceof Uint8Array)) throw OUTSIDE;
      return varintSize(value.byteLength) + value.byteLength;
    case ScalarType.BOOL:
      if (typeof value !== 'boolean') throw OUTSIDE;
      return 1;
    case ScalarType.DOUBLE:
      if (typeof value !== 'number') throw OUTSIDE;
      return 8;
    case ScalarType.FLOAT:
      if (typeof value !== 'number' || (Number.isFinite(value) && Math.abs(value) > FLOAT32_MAX)) throw OUTSIDE;
      return 4;
    case ScalarType.INT32:
      if (!isInt32(value)) throw OUTSIDE;
      return value < 0 ? 10 : varintSize(value);
    case ScalarType.SINT32:
      if (!isInt32(value)) throw OUTSIDE;
      return varintSize(zigzag32(value));
    case ScalarType.UINT32:
      if (!isUint32(value)) throw OUTSIDE;
      return varintSize(value);
    case ScalarType.FIXED32:
      if (!isUint32(value)) throw OUTSIDE;
      return 4;
    case ScalarType.SFIXED32:
      if (!isInt32(value)) throw OUTSIDE;
      return 4;
    case ScalarType.INT64:
      if (typeof value !== 'bigint' || value < INT64_MIN || value > INT64_MAX) throw OUTSIDE;
      return value >= 0n ? varint64Size(value) : 10;
    case ScalarType.SINT64:
      if (typeof value !== 'bigint' || value < INT64_MIN || value > INT64_MAX) throw OUTSIDE;
      return varint64Size(zigzag64(value));
    case ScalarType.UINT64:
      if (typeof value !== 'bigint' || value < 0n || value > UINT64_MAX) throw OUTSIDE;
      return varint64Size(value);
    case ScalarType.FIXED64:
      if (typeof value !== 'bigint' || value < 0n || value > UINT64_MAX) throw OUTSIDE;
      return 8;
    case ScalarType.SFIXED64:
      if (typeof value !== 'bigint' || value < INT64_MIN || value > INT64_MAX) throw OUTSIDE;
      return 8;
    default:
      throw OUTSIDE;
  }
}

function isInt32(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= -0x8000_0000 && value <= 0x7fff_ffff;
}

function isUint32(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff;
}

function zigzag32(value: number): number {
  return ((value << 1) ^ (value >> 31)) >>> 0;
}

function zigzag64(value: bigint): bigint {
  return BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
}

function tagSize(number: number): number {
  return varintSize(number * 8);
}

/** Size of a varint of a non-negative integer below 2^53. */
function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x20_0000) return 3;
  if (value < 0x1000_0000) return 4;
  if (value < 2 ** 35) return 5;
  if (value < 2 ** 42) return 6;
  if (value < 2 ** 49) return 7;
  return 8;
}

function varint64Size(value: bigint): number {
  if (value <= MAX_SAFE) return varintSize(Number(value));
  return value < 2n ** 56n ? 8 : value < 2n ** 63n ? 9 : 10;
}

export interface Sizes {
  sizes: number[];
  next: number;
}

export function write(plan: MessagePlan, message: Message, out: Buffer, at: number, sizes: Sizes): number {
  for (const field of plan.fields) {
    const value = message[field.name];
    switch (field.kind) {
      case Kind.Scalar:
        if (isDefault(field, value)) break;
        at = writeVarint(out, at, field.number * 8 + field.wire);
        at = writeScalar(field.scalar, value, out, at);
        break;
      case Kind.Message:
        if (value === undefined) break;
        at = writeVarint(out, at, field.number * 8 + LENGTH_DELIMITED);
        at = writeNested(field.message!, value as Message, out, at, sizes);
        break;
      case Kind.ScalarList: {
        const items = value as unknown[];
        if (items.length === 0) break;
        if (field.packed) {
          at = writeVarint(out, at, field.number * 8 + LENGTH_DELIMITED);
          let body = 0;
          for (const item of items) body += scalarSize(field.scalar, item);
          at = writeVarint(out, at, body);
          for (const item of items) at = writeScalar(field.scalar, item, out, at);
        } else {
          for (const item of items) {
            at = writeVarint(out, at, field.number * 8 + field.wire);
            at = writeScalar(field.scalar, item, out, at);
          }
        }
        break;
      }
      case Kind.MessageList:
        for (const item of value as Message[]) {
          at = writeVarint(out, at, field.number * 8 + LENGTH_DELIMITED);
          at = writeNested(field.message!, item, out, at, sizes);
        }
        break;
    }
  }
  return at;
}

function writeNested(plan: MessagePlan, message: Message, out: Buffer, at: number, sizes: Sizes): number {
  at = writeVarint(out, at, sizes.sizes[sizes.next++]!);
  return write(plan, message, out, at, sizes);
}

function writeScalar(scalar: ScalarType, value: unknown, out: Buffer, at: number): number {
  switch (scalar) {
    case ScalarType.STRING: {
      const text = value as string;
      const length = Buffer.byteLength(text);
      at = writeVarint(out, at, length);
      return at + out.write(text, at, length, 'utf8');
    }
    case ScalarType.BYTES: {
      const bytes = value as Uint8Array;
      at = writeVarint(out, at, bytes.byteLength);
      out.set(bytes, at);
      return at + bytes.byteLength;
    }
    case ScalarType.BOOL:
      out[at] = value ? 1 : 0;
      return at + 1;
    case ScalarType.DOUBLE:
      return out.writeDoubleLE(value as number, at);
    case ScalarType.FLOAT:
      return out.writeFloatLE(value as number, at);
    case ScalarType.INT32:
      return (value as number) < 0
        ? writeVarint64(out, at, BigInt.asUintN(64, BigInt(value as number)))
        : writeVarint(out, at, value as number);
    case ScalarType.SINT32:
      return writeVarint(out, at, zigzag32(value as number));
    case ScalarType.UINT32:
      return writeVarint(out, at, value as number);
    case ScalarType.FIXED32:
      return out.writeUInt32LE(value as number, at);
    case ScalarType.SFIXED32:
      return out.writeInt32LE(value as number, at);
    case ScalarType.INT64:
      return writeVarint64(out, at, (value as bigint) >= 0n ? (value as bigint) : BigInt.asUintN(64, value as bigint));
    case ScalarType.SINT64:
      return writeVarint64(out, at, zigzag64(value as bigint));
    case ScalarType.UINT64:
      return writeVarint64(out, at, value as bigint);
    case ScalarType.FIXED64:
      return out.writeBigUInt64LE(value as bigint, at);
    default:
      return out.writeBigInt64LE(value as bigint, at);
  }
}

/** Writes a non-negative integer below 2^53 as a varint. */
function writeVarint(out: Buffer, at: number, value: number): number {
  if (value < 0x8000_0000) {
    while (value >= 0x80) {
      out[at++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    out[at++] = value;
    return at;
  }
  return writeVarintHalves(out, at, value >>> 0, Math.floor(value / 0x1_0000_0000));
}

/** Writes an unsigned 64-bit integer as a varint. */
function writeVarint64(out: Buffer, at: number, value: bigint): number {
  if (value <= MAX_SAFE) return writeVarint(out, at, Number(value));
  return writeVarintHalves(out, at, Number(value & 0xffff_ffffn), Number(value >> 32n));
}

/** Writes the varint of `hi` * 2^32 + `lo` (both unsigned 32-bit). */
function writeVarintHalves(out: Buffer, at: number, lo: number, hi: number): number {
  while (hi > 0 || lo > 0x7f) {
    out[at++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  out[at++] = lo;
  return at;
}

