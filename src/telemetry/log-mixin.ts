import { trace } from '@opentelemetry/api';
import { hasValidIds } from './trace-context.ts';

/**
 * pino mixin: every log line written while a span is active carries its `trace_id` and `span_id` (the names the
 * OpenTelemetry log data model uses), beside the correlation id, so a line leads to its trace and back.
 */
export function traceMixin(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (span === undefined) return {};
  const ctx = span.spanContext();
  return hasValidIds(ctx) ? { trace_id: ctx.traceId, span_id: ctx.spanId } : {};
}
