import {
  type Context,
  context,
  INVALID_SPANID,
  INVALID_TRACEID,
  propagation,
  ROOT_CONTEXT,
  type SpanContext,
  type TextMapGetter,
  type TextMapSetter,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { isTracingSuppressed, W3CTraceContextPropagator } from '@opentelemetry/core';
import type { Headers } from '../broker/port.ts';

/**
 * W3C trace context in record headers. Herald always speaks W3C (`traceparent`/`tracestate`) on the wire, whatever
 * global propagator the application registered (none, by default), so that traces cross Herald services and any
 * other W3C-speaking Kafka client.
 */
const w3c = new W3CTraceContextPropagator();

const getter: TextMapGetter<Headers> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};

/**
 * Whether a span context's ids are not the invalid (all-zero) ones. Span contexts here come from the SDK or from
 * {@link extractTraceContext}, which checked the ids' form; the API's own check runs two regular expressions.
 */
export function hasValidIds(span: SpanContext): boolean {
  return span.traceId !== INVALID_TRACEID && span.spanId !== INVALID_SPANID;
}

/** A version-00 `traceparent` as Herald and most tracers write it: lower-case hex, nothing around it. */
const TRACEPARENT_00 = /^00-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})$/;

/**
 * The context (remote parent span) the headers carry; `ROOT_CONTEXT` when they carry none. The usual header (version
 * 00, no `tracestate`) is read with one expression; anything else goes through OpenTelemetry's W3C propagator,
 * which accepts what the specification allows around it. (Its four expressions a header, and the two more each
 * validity check ran, were about a fifth of what carrying unrecorded traces on still cost `npm start`.)
 */
export function extractTraceContext(headers: Headers, base: Context = ROOT_CONTEXT): Context {
  const traceparent = headers.traceparent;
  if (traceparent !== undefined && headers.tracestate === undefined) {
    const parts = TRACEPARENT_00.exec(traceparent);
    if (parts !== null && parts[1] !== INVALID_TRACEID && parts[2] !== INVALID_SPANID) {
      return trace.setSpanContext(base, { traceId: parts[1]!, spanId: parts[2]!, traceFlags: parseInt(parts[3]!, 16), isRemote: true });
    }
  }
  return w3c.extract(base, headers, getter);
}

const addMissing: TextMapSetter<Headers> = {
  set: (carrier, key, value) => {
    carrier[key] ??= value;
  },
};

/**
 * Adds `traceparent` (and `tracestate`) for the span active in `ctx` to `headers`; nothing if there is none. The
 * span context is trusted to hold well-formed ids (the SDK's, or {@link extractTraceContext}'s, which checked them);
 * only the invalid ones are refused.
 */
export function injectTraceContext(headers: Headers, ctx: Context = context.active()): Headers {
  const span = trace.getSpanContext(ctx);
  if (span !== undefined && hasValidIds(span) && !isTracingSuppressed(ctx)) {
    headers.traceparent = `00-${span.traceId}-${span.spanId}-${span.traceFlags < 16 ? '0' : ''}${span.traceFlags.toString(16)}`;
    if (span.traceState !== undefined) headers.tracestate = span.traceState.serialize();
  }
  // The application's own propagator may carry more (baggage); it is a no-op unless one was registered.
  propagation.inject(ctx, headers, addMissing);
  return headers;
}

/**
 * Makes the active OpenTelemetry context follow async work (AsyncLocalStorage), so spans and `traceparent`
 * headers of records emitted inside a handler continue the handler's trace. OpenTelemetry keeps one context manager
 * per process; installing it again is a no-op.
 */
export function installContextManager(): void {
  if (contextManagerInstalled) return;
  contextManagerInstalled = context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}

let contextManagerInstalled = false;
