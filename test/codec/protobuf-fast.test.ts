/**
 * The protobuf fast path held to the library it stands beside: for random messages of every covered field kind the
 * same bytes as `toBinary`, and for those bytes — and for mutated, truncated and foreign ones — either the same
 * message as `fromBinary` or `undefined` (left to the library). The seed is fixed, so a failure replays.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, fromBinary, type MessageInitShape, toBinary } from '@bufbuild/protobuf';
import { protobufCodec } from '../../src/codec/index.ts';
import { compileProtobuf } from '../../src/codec/protobuf-fast/index.ts';
import { isHeraldError } from '../../src/errors.ts';
import {
  type Everything,
  EverythingSchema,
  WithOneofSchema,
  WithOptionalSchema,
} from '../../src/gen/herald/testing/v1/everything_pb.ts';
import { SampleSchema } from '../../src/gen/herald/testing/v1/sample_pb.ts';
import { DepositSchema, ThresholdStateSchema } from '../../src/gen/herald/wallet/v1/wallet_pb.ts';
import { prng } from '../support/prng.ts';

const SEED = 0x9b0f;
const compiled = compileProtobuf(EverythingSchema)!;

type Init = MessageInitShape<typeof EverythingSchema>;

function randomEverything(random: () => number, depth = 0): Everything {
  const pick = <T>(values: T[]): T => values[Math.floor(random() * values.length)]!;
  const maybe = <T>(value: () => T, zero: T): T => (random() < 0.3 ? zero : value());
  const int32 = () => pick([0, 1, -1, 127, 128, 300, -300, 2_147_483_647, -2_147_483_648, randomInt(random, 2 ** 31)]);
  const uint32 = () => pick([0, 1, 127, 128, 16_384, 4_294_967_295, Math.floor(random() * 2 ** 32)]);
  const int64 = () => pick([0n, 1n, -1n, 2n ** 53n + 1n, -(2n ** 63n), 2n ** 63n - 1n, BigInt(randomInt(random, 2 ** 40))]);
  const uint64 = () => pick([0n, 1n, 127n, 2n ** 53n + 1n, 2n ** 64n - 1n, 2n ** 63n, BigInt(Math.floor(random() * 2 ** 50))]);
  const double = () => pick([0.1, -0, Number.NaN, Infinity, -Infinity, 1e308, 5e-324, random() * 1e6]);
  const float = () => pick([0.5, -0, Number.NaN, Infinity, 3.4e38, 0.1, random()]);
  const text = () => pick(['', 'a', 'wallet-1', 'héllo', '😀 emoji', 'lone \ud800 surrogate', 'x'.repeat(200)]);
  const bytes = () => pick([new Uint8Array(0), new Uint8Array([0, 255]), new Uint8Array(300).fill(7)]);
  const list = <T>(item: () => T): T[] => Array.from({ length: pick([0, 0, 1, 3, 20]) }, item);
  const init: Init = {
    fDouble: maybe(double, 0),
    fFloat: maybe(float, 0),
    fInt64: maybe(int64, 0n),
    fUint64: maybe(uint64, 0n),
    fInt32: maybe(int32, 0),
    fFixed64: maybe(uint64, 0n),
    fFixed32: maybe(uint32, 0),
    fBool: maybe(() => random() < 0.5, false),
    fString: maybe(text, ''),
    fBytes: maybe(bytes, new Uint8Array(0)),
    fUint32: maybe(uint32, 0),
    fSfixed32: maybe(int32, 0),
    fSfixed64: maybe(int64, 0n),
    fSint32: maybe(int32, 0),
    fSint64: maybe(int64, 0n),
    rInt32: list(int32),
    rSint64: list(int64),
    rDouble: list(double),
    rString: list(text),
    rBytes: list(bytes),
    rBool: list(() => random() < 0.5),
    rFixed32: list(uint32),
    rUint64: list(uint64),
    last: maybe(int32, 0),
  };
  if (depth < 3 && random() < 0.4) init.child = randomEverything(random, depth + 1);
  if (depth < 2 && random() < 0.3) init.children = list(() => randomEverything(random, depth + 1)).slice(0, 3);
  return create(EverythingSchema, init);
}

function randomInt(random: () => number, bound: number): number {
  return Math.floor(random() * bound * 2) - bound;
}

/** What the library makes of `bytes`, or `undefined` when it refuses them. */
function libraryDecode(bytes: Buffer): Everything | undefined {
  try {
    return fromBinary(EverythingSchema, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch {
    return undefined;
  }
}

function mutate(random: () => number, bytes: Uint8Array): Buffer {
  const out = Buffer.from(bytes);
  switch (Math.floor(random() * 4)) {
    case 0:
      return out.subarray(0, Math.floor(random() * out.length));
    case 1:
      if (out.length > 0) out[Math.floor(random() * out.length)] = Math.floor(random() * 256);
      return out;
    case 2:
      return Buffer.concat([out, Buffer.from([Math.floor(random() * 256), Math.floor(random() * 256)])]);
    default: {
      const at = Math.floor(random() * (out.length + 1));
      return Buffer.concat([out.subarray(0, at), Buffer.from([Math.floor(random() * 256)]), out.subarray(at)]);
    }
  }
}

describe('compileProtobuf', () => {
  it('covers plain proto3 messages and leaves maps, oneofs and optional fields to the library', () => {
    for (const schema of [EverythingSchema, DepositSchema, ThresholdStateSchema]) {
      assert.ok(compileProtobuf(schema), schema.typeName);
    }
    for (const schema of [SampleSchema, WithOptionalSchema, WithOneofSchema]) {
      assert.equal(compileProtobuf(schema), undefined, schema.typeName);
    }
  });

  it('writes the bytes toBinary writes and reads them back as fromBinary does, for 2,000 random messages', () => {
    const random = prng(SEED);
    for (let i = 0; i < 2_000; i++) {
      const message = randomEverything(random);
      const expected = toBinary(EverythingSchema, message);
      const bytes = compiled.encode(message);
      assert.ok(bytes, `case ${i}: left to the library`);
      assert.deepEqual(new Uint8Array(bytes), expected, `case ${i}`);
      assert.deepEqual(compiled.decode(bytes), fromBinary(EverythingSchema, expected), `case ${i}`);
    }
  });

  it('writes nothing for a message of defaults, and the largest field number', () => {
    assert.equal(compiled.encode(create(EverythingSchema))!.length, 0);
    assert.deepEqual(compiled.decode(Buffer.alloc(0)), create(EverythingSchema));
    const last = create(EverythingSchema, { last: 1 });
    assert.deepEqual(new Uint8Array(compiled.encode(last)!), toBinary(EverythingSchema, last));
  });

  it('reads repeated numbers packed and not packed, whichever the writer chose', () => {
    const unpacked = Buffer.from([0xa8, 0x01, 0x05, 0xa8, 0x01, 0x7f]); // field 21 (r_int32) as two varints
    const packed = Buffer.from([0xea, 0x01, 0x02, 0x05, 0x7f]); // field 29 (r_uint64, declared unpacked) packed
    for (const bytes of [unpacked, packed, Buffer.concat([unpacked, packed])]) {
      assert.deepEqual(compiled.decode(bytes), fromBinary(EverythingSchema, bytes));
    }
  });

  it('gives mutated and truncated bytes back to the library unless it reads them exactly as the library does', () => {
    const random = prng(SEED + 1);
    let fast = 0;
    for (let i = 0; i < 5_000; i++) {
      const bytes = mutate(random, toBinary(EverythingSchema, randomEverything(random)));
      const mine = compiled.decode(bytes);
      if (mine === undefined) continue;
      fast++;
      assert.deepEqual(mine, libraryDecode(bytes), `case ${i}: ${bytes.toString('hex')}`);
    }
    assert.ok(fast > 500, `only ${fast} of 5,000 mutated messages read on the fast path`);
  });

  it('leaves unknown fields, invalid UTF-8 and deep nesting to the library', () => {
    const unknown = Buffer.from([0x08, 0x01, 0xf8, 0x07, 0x02]); // f_double's number as a varint, then field 127
    assert.equal(compiled.decode(Buffer.from([0xf8, 0x07, 0x02])), undefined);
    assert.equal(compiled.decode(unknown), undefined);
    assert.equal(compiled.decode(Buffer.from([0x4a, 0x02, 0xc3, 0x28])), undefined); // f_string, invalid UTF-8
    let deep = create(EverythingSchema);
    for (let i = 0; i < 120; i++) deep = create(EverythingSchema, { child: deep });
    const nested = Buffer.from(toBinary(EverythingSchema, deep));
    assert.equal(libraryDecode(nested), undefined);
    assert.equal(compiled.decode(nested), undefined);
    // Through the codec the library keeps the unknown field, and writes it back.
    const codec = protobufCodec(EverythingSchema);
    const withUnknown = codec.decode(Buffer.from([0xf8, 0x07, 0x02]));
    assert.equal(compiled.encode(withUnknown), undefined);
    assert.deepEqual([...codec.encode(withUnknown)], [0xf8, 0x07, 0x02]);
  });

  it('leaves values of an unexpected type or range to the library, which encodes or refuses them', () => {
    const codec = protobufCodec(EverythingSchema);
    const odd: [string, Partial<Record<keyof Everything, unknown>>][] = [
      ['a 64-bit integer as a number', { fInt64: 5 }],
      ['an int32 out of range', { fInt32: 2 ** 31 }],
      ['a uint32 below zero', { fUint32: -1 }],
      ['a float beyond float32', { fFloat: 1e39 }],
      ['a string that is a number', { fString: 5 }],
      ['a child of another type', { child: create(DepositSchema) }],
    ];
    for (const [why, fields] of odd) {
      const message = { ...create(EverythingSchema), ...fields } as Everything;
      assert.equal(compiled.encode(message), undefined, why);
      let expected: Uint8Array | undefined;
      try {
        expected = toBinary(EverythingSchema, message);
      } catch {
        expected = undefined;
      }
      if (expected === undefined) {
        assert.throws(() => codec.encode(message), (err) => isHeraldError(err, 'HERALD_VALIDATION_FAILED'), why);
      } else {
        assert.deepEqual(new Uint8Array(codec.encode(message)), expected, why);
      }
    }
  });
});
