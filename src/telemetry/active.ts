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
