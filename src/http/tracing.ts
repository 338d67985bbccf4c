import { type Context, context, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { FastifyRequest } from 'fastify';
import { newTracesRecorded, tracingActive, unrecordedContext } from '../telemetry/active.ts';
import { extractTraceContext } from '../telemetry/trace-context.ts';

interface RequestTrace {
  context: Context;
  span: Span | undefined;
}

/** The request-tracing steps, for the app's own hooks to call (one hook per stage for everything, not one each). */
export interface RequestTracing {
  /** On request: starts the span (or, with no SDK, takes the client's `traceparent` as the context). */
  start(request: FastifyRequest): void;
  /** Before the handler: runs `done` — from which fastify calls the handler — in the request's context. */
  enter(request: FastifyRequest, done: () => void): void;
  /** Ends the span with the answer's status; `undefined`: the client went away before it. */
  end(request: FastifyRequest, status: number | undefined): void;
}

/**
 * A SERVER span per request (`<METHOD> <route>`, OpenTelemetry HTTP conventions), child of the `traceparent` the
 * client sent, active while the route's handler runs, so records it produces and spans it starts belong to the
 * request's trace. A request whose trace is not recorded (the client's is not sampled, or no new trace may start
 * now) runs in that trace's context without a span. With no SDK registered nothing is recorded, but a client's
 * `traceparent` is still made the active context, so the records a request produces carry the client's trace on.
 */
export function requestTracing(): RequestTracing {
  const traces = new WeakMap<FastifyRequest, RequestTrace>();
  return {
    start(request) {
      const incoming = request.headers.traceparent !== undefined;
      if (!incoming && !newTracesRecorded()) return;
      if (!tracingActive()) {
        traces.set(request, { context: extractTraceContext(flatHeaders(request)), span: undefined });
        return;
      }
      const parent = incoming ? extractTraceContext(flatHeaders(request)) : context.active();
      const unrecorded = unrecordedContext(parent);
      if (unrecorded !== undefined) {
        traces.set(request, { context: unrecorded, span: undefined });
        return;
      }
      const route = request.routeOptions.url;
      const span = trace.getTracer('herald.http').startSpan(
        route === undefined ? request.method : `${request.method} ${route}`,
        {
          kind: SpanKind.SERVER,
          attributes: {
            'http.request.method': request.method,
            'url.path': request.url.split('?')[0],
            ...(route === undefined ? {} : { 'http.route': route }),
            'url.scheme': request.protocol,
            'client.address': request.ip,
            'herald.correlation_id': request.id,
          },
        },
        parent,
      );
      traces.set(request, { context: trace.setSpan(parent, span), span });
    },
    // The handler runs from the last pre-handler's callback: running that callback in the request's context makes
    // the context follow the handler's async work (body parsing before it runs on the socket's own async context).
    enter(request, done) {
      const traced = traces.get(request);
      if (traced === undefined) return done();
      context.with(traced.context, done);
    },
    end(request, status) {
      const span = traces.get(request)?.span;
      if (span === undefined) return;
      traces.delete(request);
      if (status === undefined) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'the client went away before the answer' });
      } else {
        span.setAttribute('http.response.status_code', status);
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    },
  };
}

/** Request headers as the propagator reads them (a repeated header's first value). */
function flatHeaders(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['traceparent', 'tracestate']) {
    const value = request.headers[name];
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = first;
  }
  return out;
}
