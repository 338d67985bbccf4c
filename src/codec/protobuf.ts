import { type DescMessage, fromBinary, type MessageShape, toBinary } from '@bufbuild/protobuf';
import { HeraldError } from '../errors.ts';
import type { Codec } from './codec.ts';
import { compileProtobuf } from './protobuf-fast/index.ts';
import { frameConfluent, unframeConfluent } from './protobuf-framing.ts';

/** Confluent's wire format: what the Schema Registry serializers of other Kafka tools write and expect. */
export interface ConfluentFraming {
  /** The schema id registered for this message's schema; written into every record. */
  schemaId: number;
  /**
   * Path of the message inside its `.proto` file (index of the top-level message, then of nested ones). Default
   * `[0]`, the first message of the file, written as the single byte 0x00 as Confluent's serializers do.
   */
  messageIndexes?: number[];
  /**
   * Schema ids `decode` accepts. Default: only `schemaId`. A record with another id fails with
   * `HERALD_DECODE_FAILED` — bytes of another schema would otherwise decode into garbage fields silently.
   */
  acceptSchemaIds?: number[] | 'any';
}

export interface ProtobufCodecOptions {
  /** Writes and expects Confluent framing (0x00, 4-byte big-endian schema id, message indexes) around the message. */
  confluent?: ConfluentFraming;
}

/**
 * Protocol Buffers binary encoding of one message type, from its generated schema (`src/gen/**\/*_pb.ts`, made by
 * `npm run proto` from `proto/`): `protobufCodec(DepositSchema)` is a `Codec<Deposit>`. Values are the generated
 * message types; build them with `create(DepositSchema, {...})`.
 *
 * `decode`: bytes that are not a valid message of the type (or, with framing, a wrong magic byte, an unexpected
 * schema id, a truncated header) throw `HERALD_DECODE_FAILED`. `encode`: a value the encoder rejects (a field of
 * the wrong type) throws `HERALD_VALIDATION_FAILED`. Protobuf itself accepts unknown fields and missing ones (they
 * read as defaults), which is what lets producers and consumers evolve a schema independently.
 */
export function protobufCodec<Desc extends DescMessage>(
  schema: Desc,
  options: ProtobufCodecOptions = {},
): Codec<MessageShape<Desc>> {
  const name = `protobuf:${schema.typeName}`;
  const framing = options.confluent;
  const accepted = framing === undefined ? undefined : acceptedIds(framing);
  // The same bytes and messages as the library's, faster, for the plain messages it covers.
  const compiled = compileProtobuf(schema);
  return {
    name,
    encode(value: MessageShape<Desc>): Buffer {
      const body = compiled?.encode(value) ?? libraryEncode(value);
      return framing === undefined ? body : frameConfluent(framing.schemaId, framing.messageIndexes ?? [0], body);
    },
    decode(bytes: Buffer): MessageShape<Desc> {
      let body = bytes;
      if (accepted !== undefined) {
        const frame = unframeConfluent(bytes, name);
        if (accepted !== 'any' && !accepted.has(frame.schemaId))
          throw new HeraldError('HERALD_DECODE_FAILED', `${name}: unexpected schema id ${frame.schemaId}`);
        body = Buffer.from(frame.body.buffer, frame.body.byteOffset, frame.body.byteLength);
      }
      const fast = compiled?.decode(body);
      if (fast !== undefined) return fast as MessageShape<Desc>;
      try {
        // A plain Uint8Array view, so that `bytes` fields come out as the Uint8Array their type says (not Buffer).
        return fromBinary(schema, new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
      } catch (err) {
        throw new HeraldError('HERALD_DECODE_FAILED', `${name}: not a valid message: ${message(err)}`, { cause: err });
      }
    },
  };

  function libraryEncode(value: MessageShape<Desc>): Buffer {
    let bytes: Uint8Array;
    try {
      bytes = toBinary(schema, value);
    } catch (err) {
      throw new HeraldError('HERALD_VALIDATION_FAILED', `${name}: value cannot be encoded: ${message(err)}`, {
        cause: err,
      });
    }
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
}

function acceptedIds(framing: ConfluentFraming): Set<number> | 'any' {
  const ids = framing.acceptSchemaIds ?? [framing.schemaId];
  if (ids === 'any') return 'any';
  for (const id of [framing.schemaId, ...ids]) {
    if (!Number.isInteger(id) || id < 0 || id > 0xffff_ffff)
      throw new HeraldError('HERALD_INVALID_ARGUMENT', `a schema id must be a 32-bit unsigned integer, not ${id}`);
  }
  return new Set(ids);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
