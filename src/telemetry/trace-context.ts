import { type Context, context, propagation, ROOT_CONTEXT, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
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

/** The context (remote parent span) the headers carry; `ROOT_CONTEXT` when they carry none. */
export function extractTraceContext(headers: Headers, base: Context = ROOT_CONTEXT): Context {
  return w3c.extract(base, headers, getter);
}

const overwrite: TextMapSetter<Headers> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};
const addMissing: TextMapSetter<Headers> = {
  set: (carrier, key, value) => {
    carrier[key] ??= value;
  },
};

/** Adds `traceparent` (and `tracestate`) for the span active in `ctx` to `headers`; nothing if there is none. */
export function injectTraceContext(headers: Headers, ctx: Context = context.active()): Headers {
  w3c.inject(ctx, headers, overwrite);
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
