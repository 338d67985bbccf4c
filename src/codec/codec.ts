/**
 * How a handler's typed value travels as bytes. A codec is a pair of pure functions; the handler runtime decodes a
 * record's value with the codec of its handler, and an emitter encodes with the codec of its topic. JSON (`json.ts`)
 * and protobuf plug in the same way.
 *
 * Failure contract:
 * - `decode` throws a {@link HeraldError} `HERALD_DECODE_FAILED` (not retriable) for bytes that are not a valid `T`:
 *   the runtime then skips retries and dead-letters the record, since decoding the same bytes again cannot succeed.
 * - `encode` throws `HERALD_VALIDATION_FAILED` (not retriable) for a value that is not a valid `T`, so a producer
 *   never writes a record its consumers would have to dead-letter.
 */
export interface Codec<T> {
  /** Names the format in errors and logs, e.g. `json` or `protobuf:wallet.Deposit`. */
  readonly name: string;
  encode(value: T): Buffer;
  decode(bytes: Buffer): T;
}

/** The value type a codec produces. */
export type CodecValue<C> = C extends Codec<infer T> ? T : never;

/** Raw bytes, unchanged. */
export const bytesCodec: Codec<Buffer> = {
  name: 'bytes',
  encode: (value) => value,
  decode: (bytes) => bytes,
};

/** UTF-8 text. Decoding never fails: invalid sequences become U+FFFD, as `Buffer#toString` does. */
export const stringCodec: Codec<string> = {
  name: 'string',
  encode: (value) => Buffer.from(value, 'utf8'),
  decode: (bytes) => bytes.toString('utf8'),
};
