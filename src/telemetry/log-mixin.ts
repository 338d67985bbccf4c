import { INVALID_SPANID, INVALID_TRACEID, trace } from '@opentelemetry/api';

/**
 * pino mixin: every log line written while a span is active carries its `trace_id` and `span_id` (the names the
 * OpenTelemetry log data model uses), beside the correlation id, so a line leads to its trace and back.
 */
export function traceMixin(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (span === undefined) return {};
  const ctx = span.spanContext();
  // The ids are the SDK's or checked when read from a header; only the invalid ones are left out (the API's own
  // check, two regular expressions, ran for every line).
  return ctx.traceId !== INVALID_TRACEID && ctx.spanId !== INVALID_SPANID ? { trace_id: ctx.traceId, span_id: ctx.spanId } : {};
}
