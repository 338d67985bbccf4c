import { ProxyTracerProvider, trace } from '@opentelemetry/api';
import { perTurn } from '../kit/per-turn.ts';

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

/** The fraction of new traces Herald's own SDK records; 1 when another SDK (whose sampler decides) is registered. */
let newTraceRatio = 1;

/** Set by Herald's tracing when it registers (its sampler's ratio) and reset when it unregisters. */
export function setNewTraceRatio(ratio: number): void {
  newTraceRatio = ratio;
}

/**
 * Whether a span without a parent could be recorded: an SDK is registered and does not sample every new trace
 * out. Work that would only start a trace (a record or request without `traceparent`) is skipped when it could
 * not — tracing configured with `sampleRatio: 0` costs what tracing off does.
 */
export function newTracesRecorded(): boolean {
  return newTraceRatio > 0 && tracingActive();
}
