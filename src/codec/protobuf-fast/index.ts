import type { DescMessage } from '@bufbuild/protobuf';
import { read } from './decode.ts';
import { measure, write } from './encode.ts';
import { type Message, OUTSIDE, planOf } from './plan.ts';

/**
 * A faster binary encoding of the plain proto3 messages most records carry, beside `@bufbuild/protobuf`'s
 * `toBinary`/`fromBinary`, which stay the definition: both give the same bytes and the same messages.
 *
 * Why: in the wallet's busy event loop, `toBinary` and `fromBinary` took ~9% of the time (2026-12-05 profile).
 * Each `toBinary` allocates a zeroed 128-byte buffer outside V8's heap and then copies what it wrote into a
 * second one. Alone, a two-field message (`Deposit`) cost ~600 ns to encode and ~300 ns to decode, the wallet's
 * threshold state ~730 and ~450; here a message is measured first and written once into a buffer of its size
 * (~270 and ~420 ns), and decoded in one pass (~170 and ~255 ns). The wallet's main thread spent 11% less a
 * deposit (BENCHMARKS.md).
 *
 * Covered: proto3 files; singular scalar fields without `optional`; singular and repeated message fields; repeated
 * scalars (packed or not). Not covered, so the message type is left to the library: maps, oneofs, enums (their
 * generated TypeScript enums cannot run under type stripping anyway), `optional` scalars, other syntaxes and
 * editions, wrapper types, 64-bit integers as strings.
 *
 * Values and bytes outside the fast path are left to the library too, one call at a time: `encode` returns
 * `undefined` for a value of an unexpected type or range, or with unknown fields kept from an earlier decode;
 * `decode` returns `undefined` for unknown fields, an unexpected wire type, a singular message field given twice
 * (merged by the library), invalid UTF-8, nesting past 100 or truncated bytes. The library then encodes, keeps
 * the unknown fields, or refuses with its own message.
 */
export interface CompiledProtobuf {
  encode(value: object): Buffer | undefined;
  decode(bytes: Buffer): object | undefined;
}

/** The fast path for `schema`, or `undefined` when the type uses something it does not cover. */
export function compileProtobuf(schema: DescMessage): CompiledProtobuf | undefined {
  const plan = planOf(schema, new Map());
  if (plan === undefined) return undefined;
  return {
    encode(value) {
      try {
        const sizes: number[] = [];
        const size = measure(plan, value as Message, sizes);
        // A slice of Node's shared 8 KiB pool, as `Buffer.from(string)` gives: a buffer of its own (or the
        // library's 128-byte start) is memory outside V8's heap, ~200 ns more to allocate and collect. A value kept
        // for long (a processor's cached table value) keeps its pool alive, as any small Buffer does.
        const out = Buffer.allocUnsafe(size);
        const at = write(plan, value as Message, out, 0, { sizes, next: 0 });
        return at === size ? out : undefined;
      } catch (err) {
        if (err === OUTSIDE) return undefined;
        throw err;
      }
    },
    decode(bytes) {
      try {
        const reader = { buf: bytes, pos: 0, lo: 0, hi: 0 };
        return read(plan, reader, bytes.length, 0);
      } catch (err) {
        if (err === OUTSIDE) return undefined;
        throw err;
      }
    },
  };
}
