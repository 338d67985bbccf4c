import {
  type Attributes,
  INVALID_SPAN_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { newTracesRecorded, tracingActive } from './active.ts';

const NOT_RECORDING: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

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
export async function withSpan<R>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => R | Promise<R>,
  options: WithSpanOptions = {},
): Promise<R> {
  // Nothing to record: no SDK, or no trace to continue and new ones are all sampled out.
  if (options.tracerProvider === undefined && !(newTracesRecorded() || (tracingActive() && trace.getActiveSpan() !== undefined))) {
    return fn(NOT_RECORDING);
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
 * Adds an event to the active span (a retry with its attempt number, a dead-lettering, a table write): the cheap
 * way to mark a moment inside a span. Nothing happens when no span is recording.
 */
export function spanEvent(name: string, attributes: Attributes): void {
  if (!tracingActive()) return;
  const span = trace.getActiveSpan();
  if (span?.isRecording()) span.addEvent(name, attributes);
}
