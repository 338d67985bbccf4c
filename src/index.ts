/**
 * `herald`: the platform — boot and the CLI, the service contract and lifecycle, configuration, errors, logger and
 * metrics types, codecs, declared topology and the admin API. The broker port, the handler runtime, stateful
 * processors, test helpers and the kit have entry points of their own (`herald/broker`, `herald/runtime`,
 * `herald/processor`, `herald/testing`, `herald/kit`).
 */
export type { AdminApi, DeadLetterTopic, GroupSummary } from './admin/api.ts';
export { type BrokerAdminOptions, BrokerAdminApi } from './admin/broker-admin.ts';
export type { DeadLetterView } from './admin/dead-letter-view.ts';
export {
  type DeadLetterFilter,
  listDeadLetters,
  type ReplayOptions,
  type ReplayReport,
  replayDeadLetters,
} from './admin/dead-letters.ts';
export { main } from './cli/main.ts';
export type { Io } from './cli/command.ts';
export { bytesCodec, type Codec, type CodecValue, stringCodec } from './codec/codec.ts';
export { type FieldError, type JsonCodecOptions, jsonCodec } from './codec/json.ts';
export { boolean, type Field, integer, json, number, oneOf, type Rejection, string } from './config/fields.ts';
export { ConfigError, type ConfigSources, loadConfig } from './config/load.ts';
export { type ConfigOf, type PlatformConfig, platformSchema, type Schema } from './config/schema.ts';
export { ERROR_CODES, type ErrorCode, HeraldError, type HeraldErrorOptions, isHeraldError, isRetriable } from './errors.ts';
export { statusOf, toHeraldError } from './http/errors.ts';
export { type GuardSettings, localOnly } from './http/guard.ts';
export type { Logger } from './log/logger.ts';
export type { Metrics } from './metrics/registry.ts';
export { type HistogramSeries, TallyHistogram, type TallyHistogramOptions } from './metrics/tally-histogram.ts';
export { type BootOptions, boot, heraldSchema, type Running } from './platform/boot.ts';
export { type Component, Lifecycle, type StopResult } from './platform/lifecycle.ts';
export type { ServiceContext, ServiceDefinition } from './platform/service.ts';
export { stopOnSignals } from './platform/signals.ts';
export {
  creates,
  createsLike,
  type DeclaresTopics,
  type TopicDeclaration,
  type TopicRole,
  uses,
} from './topology/declaration.ts';
export { type ProvisionReport, provisionTopology } from './topology/provision.ts';
export { SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
export { withDatabaseSpans } from './telemetry/database.ts';
export { httpAnswered, withHttpClientSpan } from './telemetry/http-client.ts';
export type { SpanView, TraceSummary, TraceView } from './telemetry/recent-traces.ts';
export { extractTraceContext, injectTraceContext } from './telemetry/trace-context.ts';
export { spanEvent, withSpan, type WithSpanOptions } from './telemetry/with-span.ts';
export { checkTopology, topologyProblems } from './topology/validate.ts';
