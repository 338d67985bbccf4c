/**
 * `herald/runtime`: what a service needs to consume topics (Router, middleware, per-partition hooks, its declared
 * topics) and to produce with trace and correlation context (Emitter, publish). See `router.ts` for the guarantees.
 */
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './backoff.ts';
export { currentCorrelationId, withCorrelationId } from './correlation.ts';
export { type DeadLetter, DLQ_HEADERS, parseDeadLetter } from './dlq/envelope.ts';
export { contextHeaders, type Emission, type EmitOptions, Emitter, publish } from './emitter.ts';
export { HEADERS } from './headers.ts';
export type { OrderingMode } from './key-scheduler.ts';
export {
  type AttemptOutcome,
  compose,
  Handling,
  type Handler,
  type Message,
  type Middleware,
  type MiddlewareHooks,
  type PartitionHooks,
  type PartitionScope,
  type Registration,
  type RuntimeContext,
  type SharedResource,
  withSignal,
} from './message.ts';
export { type DedupeOptions, dedupe } from './middleware/dedupe.ts';
export { type DeadLetterOptions, deadLetter } from './middleware/dlq.ts';
export { metrics } from './middleware/metrics.ts';
export { retry } from './middleware/retry.ts';
export { timeout } from './middleware/timeout.ts';
export { type TracingOptions, tracing } from './middleware/tracing.ts';
export { deadLetterTopicName, dedupeTopicName } from './names.ts';
export { Router } from './router.ts';
export type { FlowOptions, HandlerOptions, RouterOptions } from './router-options.ts';
export {
  creates,
  createsLike,
  type DeclaresTopics,
  type TopicDeclaration,
  type TopicRole,
  uses,
} from '../topology/declaration.ts';
