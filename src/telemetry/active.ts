import { type Context, ProxyTracerProvider, TraceFlags, trace } from '@opentelemetry/api';
import { RandomIdGenerator } from '@opentelemetry/sdk-trace-base';
import { perTurn } from '../kit/per-turn.ts';
import type { NewTraceSampler } from './sampler.ts';
import { hasValidIds } from './trace-context.ts';

// The API's no-op provider, which the global proxy delegates to until an SDK registers a real one.
const NOOP_PROVIDER = new ProxyTracerProvider().getDelegate();

/**
 * Whether an OpenTelemetry SDK is registered (Herald's own, set up from `telemetry.traces`, or the application's).
 * Without one every span is a no-op, so hot paths skip span and context work entirely. Asked per record, answered
 * once per event-loop turn: an SDK registered meanwhile is seen from the next turn on.
 */
export const tracingActive: () => boolean = perTurn((): boolean => {
  const global = trace.getTracerProvider();
  return !(global instanceof ProxyTracerProvider && global.getDelegate() === NOOP_PROVIDER);
});

/** Herald's own sampler while its SDK is the registered one; `undefined` when another SDK (whose sampler decides) or none is. */
let heraldSampler: NewTraceSampler | undefined;

/** Set by Herald's tracing when it registers its provider, and cleared when it unregisters. */
export function setHeraldSampler(sampler: NewTraceSampler | undefined): void {
  heraldSampler = sampler;
}

/**
 * Whether a span without a parent could be recorded: an SDK is registered and does not sample every new trace
 * out. Work that would only start a trace (a record or request without `traceparent`) is skipped when it could
 * not — tracing configured with `sampleRatio: 0` costs what tracing off does.
 */
export function newTracesRecorded(): boolean {
  return (heraldSampler === undefined || heraldSampler.ratio > 0) && tracingActive();
}

const ids = new RandomIdGenerator();

/**
 * The context to run in without starting a span, when Herald's parent-based sampler is the registered one and a
 * span started under `parent` could not be recorded: the parent's trace is not sampled (the parent itself is
 * returned), or there is no parent and no new trace may be recorded now (a fresh trace context with the sampled
 * flag off, so what it sends on is not recorded downstream either). `undefined`: start the span.
 *
 * Through the SDK, a span that records nothing still cost its ids, a sampler call, its attributes and a context;
 * with traces limited to a hundred a second, those unrecorded spans were most of what tracing cost `npm start`.
 */
export function unrecordedContext(parent: Context): Context | undefined {
  if (!spanUnrecorded(parent)) return undefined;
  const span = trace.getSpanContext(parent);
  if (span !== undefined && hasValidIds(span)) return parent;
  return trace.setSpanContext(parent, {
    traceId: ids.generateTraceId(),
    spanId: ids.generateSpanId(),
    traceFlags: TraceFlags.NONE,
  });
}

/** Whether Herald's sampler is the registered one and says a span started under `parent` now records nothing. */
export function spanUnrecorded(parent: Context): boolean {
  if (heraldSampler === undefined || !tracingActive()) return false;
  const span = trace.getSpanContext(parent);
  if (span !== undefined && hasValidIds(span)) return (span.traceFlags & TraceFlags.SAMPLED) === 0;
  return heraldSampler.refusing();
}
