import {
  type Attributes,
  INVALID_SPAN_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TracerProvider,
  context,
  trace,
} from '@opentelemetry/api';
import { newTracesRecorded, spanUnrecorded, tracingActive } from './active.ts';

/** The span a callback gets when nothing is recorded (see {@link spanRecorded}). */
export const NOT_RECORDING: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** What a caller may set on a span started by {@link withSpan}. */
export interface WithSpanOptions {
  /** Default `INTERNAL`; outbound calls (HTTP, SMTP, database) pass `CLIENT`. */
  kind?: SpanKind;
  /** Default: the global tracer provider (a no-op until the application registers one). */
  tracerProvider?: TracerProvider;
}

/**
 * Runs `fn` inside a span named `name`, child of the active span, active while `fn` runs (so logs and spans it
 * starts belong to it). The span ends when `fn` settles; a thrown error is recorded on it, status `ERROR`, and
 * rethrown unchanged. This is the one hook for code that wants its own span (processor table writes and emits,
 * the outbox relay, a service's database calls): with no SDK registered (or no trace to continue while every new
 * one is sampled out) `fn` runs at once, given a span that records nothing.
 */
export function withSpan<R>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => R | Promise<R>,
  options: WithSpanOptions = {},
): Promise<R> {
  if (!spanRecorded(options.tracerProvider)) {
    // Not an async function, so that this path — every call while tracing is off — allocates no second promise.
    try {
      return Promise.resolve(fn(NOT_RECORDING));
    } catch (error) {
      return Promise.reject(error);
    }
  }
  const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer('herald');
  return tracer.startActiveSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      if (span.isRecording()) {
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      }
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * Whether a span {@link withSpan} started now could record anything: a provider was given, or an SDK is registered
 * and there is a trace to continue or new ones are sampled, and Herald's sampler (when it is the registered one) would
 * record it. Callers skip building a span's attributes when not.
 */
export function spanRecorded(tracerProvider?: TracerProvider): boolean {
  if (tracerProvider !== undefined) return true;
  if (!tracingActive()) return false;
  const active = context.active();
  if (!newTracesRecorded() && trace.getSpan(active) === undefined) return false;
  return !spanUnrecorded(active);
}

/**
 * Adds an event to the active span (a retry with its attempt number, a dead-lettering, a table write): the cheap
 * way to mark a moment inside a span. Nothing happens when no span is recording.
 */
export function spanEvent(name: string, attributes: Attributes): void {
  if (!tracingActive()) return;
  const span = trace.getActiveSpan();
  if (span?.isRecording()) span.addEvent(name, attributes);
}
