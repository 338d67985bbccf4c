export { bytesCodec, type Codec, type CodecValue, stringCodec } from './codec.ts';
export { type FieldError, type JsonCodecOptions, jsonCodec } from './json.ts';
export { type ConfluentFraming, type ProtobufCodecOptions, protobufCodec } from './protobuf.ts';
