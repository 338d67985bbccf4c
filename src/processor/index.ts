/**
 * `herald/processor`: stateful stream processors (Goka's nouns). `defineGroup` declares a topology, `Processor`
 * runs it with a group table kept in a local store and a compacted changelog (exactly-once by default), `View` is a
 * queryable copy of a table, `Emitter` a typed producer, the window helpers aggregate by event time, and
 * `protobufCodec` encodes generated Protocol Buffers messages. `TopologyTester` (also in `herald/testing`) runs
 * callbacks without a broker.
 */
export { Emitter, type Emission, type EmitOptions } from '../runtime/emitter.ts';
export { bytesCodec, type Codec, type CodecValue, stringCodec } from '../codec/codec.ts';
export { type FieldError, type JsonCodecOptions, jsonCodec } from '../codec/json.ts';
export { type ConfluentFraming, type ProtobufCodecOptions, protobufCodec } from '../codec/protobuf.ts';
export type { Callback, Context } from './callback.ts';
export type { TableReader } from './context.ts';
export { SOURCE_HEADER } from './core.ts';
export { type Guarantee, type ProcessorOptions, DEFAULT_PROCESSOR_RETRY } from './options.ts';
export { Processor } from './processor.ts';
export { ProcessorRegistry, type ProcessorStatus, type ViewStatus } from './registry.ts';
export type { RestoreState } from './restore.ts';
export { TopologyTester } from './tester.ts';
export { defineGroup, GroupBuilder, groupTable, type Topology } from './topology.ts';
export { type SourcePosition, View, type ViewOptions, type WaitOutcome } from './view.ts';
export * from './windows/index.ts';
