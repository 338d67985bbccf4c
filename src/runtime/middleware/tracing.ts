import { context, type TracerProvider, trace } from '@opentelemetry/api';
import { newTracesRecorded } from '../../telemetry/active.ts';
import { type ConsumerSpan, startConsumerSpan } from '../../telemetry/consumer-span.ts';
import { failSpan } from '../../telemetry/conventions.ts';
import { withBypass } from '../chain.ts';
import { HEADERS } from '../headers.ts';
import type { Handler, Message, Middleware } from '../message.ts';

export interface TracingOptions {
  /** Default: the global tracer provider (a no-op until the application registers one). */
  tracerProvider?: TracerProvider;
}

/**
 * Continues the trace a record carries (W3C `traceparent` header): runs the rest of the chain in a `CONSUMER`
 * span, `process <topic>`, whose parent is the producer's span. The span covers every attempt; it is active while
 * the handler runs, so spans it starts — and records it emits (`Emitter` injects `traceparent`) — belong to it.
 * A record without trace context starts a new trace.
 */
export function tracing<T = unknown>(options: TracingOptions = {}): Middleware<T> {
  const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer('herald.runtime');
  const provider = options.tracerProvider;
  // Nothing to record and no trace to continue: skip the span and the context switch, which would cost more than
  // the handler of a light record. (Checked per record: an SDK may be registered after the router starts.)
  const untraced = (message: Message<T>) =>
    provider === undefined && message.headers[HEADERS.traceparent] === undefined && !newTracesRecorded();
  const middleware: Middleware<T> = (next) => (message) => {
    if (untraced(message)) return next(message);
    const started = startConsumerSpan(tracer, message.record, message.group, provider === undefined);
    if (started === undefined) return next(message);
    // A trace not recorded only needs its context active (for what the handler sends on); no span bookkeeping.
    if (!started.span.isRecording()) return context.with(started.context, next, undefined, message);
    return inSpan(started, next, message);
  };
  return withBypass(middleware, { enter: untraced });
}

async function inSpan<T>({ span, context: spanContext }: ConsumerSpan, next: Handler<T>, message: Message<T>): Promise<void> {
  if (span.isRecording()) span.setAttribute('herald.correlation_id', message.correlationId);
  try {
    await context.with(spanContext, () => next(message));
    if (message.handling.deadLettered) span.setAttribute('herald.dead_lettered', true);
  } catch (err) {
    failSpan(span, err);
    throw err;
  } finally {
    span.setAttribute('herald.attempts', message.handling.attempts);
    span.end();
  }
}
