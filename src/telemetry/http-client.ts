import { type Attributes, type Span, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { injectTraceContext } from './trace-context.ts';
import { NOT_RECORDING, spanRecorded, withSpan } from './with-span.ts';

/**
 * Runs an outbound HTTP request (`fn`) in a CLIENT span named after its method (OpenTelemetry HTTP conventions),
 * after adding the span's `traceparent` to `headers`, so the receiving server continues the trace. Credentials in
 * the URL are left out of the span. Report the answer with {@link httpAnswered}; a failure without an answer with
 * `span.setStatus`. With nothing to record, the URL is not parsed for the span's attributes: that parse was most of
 * what this cost per request with tracing off.
 */
export function withHttpClientSpan<R>(
  method: string,
  url: string,
  headers: Record<string, string>,
  attributes: Attributes,
  fn: (span: Span) => Promise<R>,
): Promise<R> {
  if (!spanRecorded()) {
    injectTraceContext(headers);
    return fn(NOT_RECORDING);
  }
  return withSpan(
    method,
    { 'http.request.method': method, ...urlAttributes(url), ...attributes },
    (span) => {
      // Unsampled or unrecorded, the trace context still goes on (W3C: the callee may decide for itself).
      injectTraceContext(headers);
      return fn(span);
    },
    { kind: SpanKind.CLIENT },
  );
}

/** The response status on the span; 4xx and 5xx mark it failed. */
export function httpAnswered(span: Span, status: number): void {
  if (!span.isRecording()) return;
  span.setAttribute('http.response.status_code', status);
  if (status >= 400) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${status}` });
}

function urlAttributes(url: string): Attributes {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    const port = parsed.port || (parsed.protocol === 'https:' ? '443' : '80');
    return { 'url.full': parsed.toString(), 'server.address': parsed.hostname, 'server.port': Number(port) };
  } catch {
    return {};
  }
}
