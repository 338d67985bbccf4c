import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { withHttpClientSpan } from '../../src/telemetry/http-client.ts';
import { withSpan } from '../../src/telemetry/with-span.ts';

describe('withSpan', () => {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const manager = new AsyncLocalStorageContextManager();
  before(() => context.setGlobalContextManager(manager.enable()));
  after(() => {
    context.disable();
  });

  it('returns what fn returns and ends a span with the attributes and kind, child of the active span', async () => {
    exporter.reset();
    const result = await withSpan('outer', { 'a': 1 }, () =>
      withSpan('db insert', { 'db.system.name': 'postgresql' }, async () => 42, { tracerProvider, kind: SpanKind.CLIENT }),
    { tracerProvider });
    assert.equal(result, 42);
    const spans = exporter.getFinishedSpans();
    const inner = spans.find((s) => s.name === 'db insert');
    const outer = spans.find((s) => s.name === 'outer');
    assert.ok(inner && outer);
    assert.equal(inner.kind, SpanKind.CLIENT);
    assert.equal(inner.attributes['db.system.name'], 'postgresql');
    assert.equal(inner.parentSpanContext?.spanId, outer.spanContext().spanId);
    assert.equal(inner.spanContext().traceId, outer.spanContext().traceId);
  });

  it('records a thrown error, marks the span ERROR, ends it and rethrows the same error', async () => {
    exporter.reset();
    const boom = new Error('boom');
    await assert.rejects(withSpan('fails', {}, () => { throw boom; }, { tracerProvider }), (e) => e === boom);
    const [span] = exporter.getFinishedSpans();
    assert.equal(span?.status.code, SpanStatusCode.ERROR);
    assert.equal(span?.status.message, 'boom');
    assert.equal(span?.events[0]?.name, 'exception');
  });

  it('with no SDK registered runs fn with a non-recording span', async () => {
    const recording = await withSpan('noop', {}, (span) => span.isRecording());
    assert.equal(recording, false);
    assert.equal(trace.getActiveSpan(), undefined);
  });

  it('with no SDK registered turns a synchronous throw into a rejection, and passes a rejection on', async () => {
    const boom = new Error('boom');
    const thrown = withSpan('noop', {}, () => {
      throw boom;
    });
    assert.ok(thrown instanceof Promise);
    await assert.rejects(thrown, (e) => e === boom);
    await assert.rejects(withSpan('noop', {}, async () => Promise.reject(boom)), (e) => e === boom);
  });

  it('an HTTP client span with no SDK registered runs the request with a non-recording span and no traceparent', async () => {
    const headers: Record<string, string> = { accept: 'application/json' };
    const recording = await withHttpClientSpan('POST', 'http://user:secret@127.0.0.1:9/x', headers, {}, async (span) =>
      span.isRecording(),
    );
    assert.equal(recording, false);
    assert.deepEqual(headers, { accept: 'application/json' });
  });
});
