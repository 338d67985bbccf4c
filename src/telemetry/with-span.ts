import { type Attributes, type Span, SpanKind, SpanStatusCode, type TracerProvider, trace } from '@opentelemetry/api';

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
 * the outbox relay, a service's database calls): with no SDK registered the API's tracer is a no-op and the cost
 * is one non-recording span object.
 */
export async function withSpan<R>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => R | Promise<R>,
  options: WithSpanOptions = {},
): Promise<R> {
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
