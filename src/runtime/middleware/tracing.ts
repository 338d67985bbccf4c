import {
  type Context,
  context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { withBypass } from '../chain.ts';
import { HEADERS } from '../headers.ts';
import { tracingActive } from '../../telemetry/active.ts';
import type { Handler, Message, Middleware } from '../message.ts';
import { extractTraceContext } from '../../telemetry/trace-context.ts';

/** Keys longer than this are left out of span attributes. */
const MAX_KEY_BYTES = 256;

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
    provider === undefined && message.headers[HEADERS.traceparent] === undefined && !tracingActive();
  const middleware: Middleware<T> = (next) => (message) => {
    if (untraced(message)) return next(message);
    const traced = message.headers[HEADERS.traceparent] !== undefined;
    const parent = traced ? extractTraceContext(message.headers) : ROOT_CONTEXT;
    const span = tracer.startSpan(`process ${message.topic}`, { kind: SpanKind.CONSUMER }, parent);
    if (!traced && !span.isRecording()) return next(message);
    return inSpan(span, parent, next, message);
  };
  return withBypass(middleware, { enter: untraced });
}

async function inSpan<T>(span: Span, parent: Context, next: Handler<T>, message: Message<T>): Promise<void> {
  if (span.isRecording()) {
    span.setAttributes({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.destination.name': message.topic,
      'messaging.destination.partition.id': String(message.partition),
      'messaging.kafka.offset': message.offset,
      'messaging.consumer.group.name': message.group,
      'herald.correlation_id': message.correlationId,
    });
    const key = message.record.key;
    if (key !== null && key.length <= MAX_KEY_BYTES) span.setAttribute('messaging.kafka.message.key', key.toString());
    const eventId = message.headers[HEADERS.eventId];
    if (eventId !== undefined) span.setAttribute('messaging.message.id', eventId);
  }
  try {
    await context.with(trace.setSpan(parent, span), () => next(message));
    if (message.handling.deadLettered) span.setAttribute('herald.dead_lettered', true);
  } catch (err) {
    span.recordException(err instanceof Error ? err : String(err));
    span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
    throw err;
  } finally {
    span.setAttribute('herald.attempts', message.handling.attempts);
    span.end();
  }
}
