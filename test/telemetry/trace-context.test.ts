import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Context, defaultTextMapGetter, defaultTextMapSetter, ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { suppressTracing, W3CTraceContextPropagator } from '@opentelemetry/core';
import { extractTraceContext, injectTraceContext } from '../../src/telemetry/trace-context.ts';

const w3c = new W3CTraceContextPropagator();
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

const viaOpenTelemetry = (headers: Record<string, string>) =>
  trace.getSpanContext(w3c.extract(ROOT_CONTEXT, headers, defaultTextMapGetter));
const described = (ctx: Context) => {
  const span = trace.getSpanContext(ctx);
  return span === undefined ? undefined : { ...span, traceState: span.traceState?.serialize() };
};

describe('W3C trace context in record headers', () => {
  it('reads every header as OpenTelemetry’s propagator does, the usual ones without it', () => {
    const headers: Record<string, string>[] = [
      { traceparent: `00-${TRACE}-${SPAN}-01` },
      { traceparent: `00-${TRACE}-${SPAN}-00` },
      { traceparent: `00-${TRACE}-${SPAN}-03` },
      { traceparent: `00-${TRACE}-${SPAN}-01`, tracestate: 'vendor=a,other=b' },
      { traceparent: ` 00-${TRACE}-${SPAN}-01 ` },
      { traceparent: `01-${TRACE}-${SPAN}-01-future` },
      { traceparent: `00-${TRACE}-${SPAN}-01-extra` },
      { traceparent: `00-${TRACE.toUpperCase()}-${SPAN}-01` },
      { traceparent: `00-${'0'.repeat(32)}-${SPAN}-01` },
      { traceparent: `00-${TRACE}-${'0'.repeat(16)}-01` },
      { traceparent: `ff-${TRACE}-${SPAN}-01` },
      { traceparent: `00-${TRACE}-${SPAN}` },
      { traceparent: 'garbage' },
      {},
    ];
    for (const h of headers) {
      const ours = described(extractTraceContext(h));
      const theirs = viaOpenTelemetry(h);
      assert.deepEqual(ours, theirs === undefined ? undefined : { ...theirs, traceState: theirs.traceState?.serialize() }, JSON.stringify(h));
    }
  });

  it('writes what OpenTelemetry’s propagator writes, and nothing for an invalid or suppressed context', () => {
    const contexts = [
      trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE, spanId: SPAN, traceFlags: TraceFlags.SAMPLED }),
      trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE, spanId: SPAN, traceFlags: TraceFlags.NONE }),
      extractTraceContext({ traceparent: `00-${TRACE}-${SPAN}-01`, tracestate: 'vendor=a' }),
      trace.setSpanContext(ROOT_CONTEXT, { traceId: '0'.repeat(32), spanId: SPAN, traceFlags: 1 }),
      suppressTracing(trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE, spanId: SPAN, traceFlags: 1 })),
      ROOT_CONTEXT,
    ];
    for (const ctx of contexts) {
      const theirs: Record<string, string> = {};
      w3c.inject(ctx, theirs, defaultTextMapSetter);
      assert.deepEqual(injectTraceContext({}, ctx), theirs);
    }
  });
});
