import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { RecentTraces } from '../../src/telemetry/recent-traces.ts';

function setup(capacity: number) {
  const recent = new RecentTraces(capacity);
  const tracer = new BasicTracerProvider({ spanProcessors: [recent] }).getTracer('test');
  /** A trace of a root span and one child; returns its trace id. */
  const traceOf = (event: string | undefined, fail = false) => {
    const root = tracer.startSpan('POST /publish', { kind: SpanKind.SERVER });
    const child = tracer.startSpan(
      'send events',
      { kind: SpanKind.PRODUCER, attributes: event === undefined ? {} : { 'messaging.message.id': event } },
      trace.setSpan(context.active(), root),
    );
    if (fail) child.setStatus({ code: SpanStatusCode.ERROR, message: 'broker down' });
    child.addEvent('retry', { 'herald.attempt': 1 });
    child.end();
    root.end();
    return root.spanContext().traceId;
  };
  return { recent, tracer, traceOf };
}

describe('recent traces', () => {
  it('keeps spans by trace, in start order, finds traces by event id, lists the most recent first', () => {
    const { recent, traceOf } = setup(10);
    const first = traceOf('e1');
    const second = traceOf('e2', true);
    const again = traceOf('e1');
    const view = recent.trace(second)!;
    assert.deepEqual(view.spans.map((s) => [s.name, s.kind]), [
      ['POST /publish', 'SERVER'],
      ['send events', 'PRODUCER'],
    ]);
    assert.equal(view.spans[1].parentSpanId, view.spans[0].spanId);
    assert.equal(view.spans[1].status, 'error');
    assert.equal(view.spans[1].statusMessage, 'broker down');
    assert.equal(view.spans[1].events[0].name, 'retry');
    assert.deepEqual(recent.traces('e1').map((t) => t.traceId), [first, again]);
    assert.deepEqual(recent.traces('nope'), []);
    const list = recent.list(2);
    assert.deepEqual(list.map((t) => t.traceId), [again, second]);
    assert.equal(list[1].name, 'POST /publish');
    assert.equal(list[1].spans, 2);
    assert.equal(list[1].errors, 1);
    assert.ok(list[1].durationMs >= 0);
  });

  it('holds at most its capacity of traces, forgetting the least recently seen, and caps spans per trace', () => {
    const { recent, tracer, traceOf } = setup(3);
    const ids = Array.from({ length: 5 }, (_, i) => traceOf(`e${i}`));
    assert.equal(recent.trace(ids[0]), undefined);
    assert.equal(recent.trace(ids[1]), undefined);
    assert.ok(recent.trace(ids[4]));
    assert.deepEqual(recent.traces('e0'), []);
    assert.equal(recent.list(100).length, 3);

    const root = tracer.startSpan('big');
    const parent = trace.setSpan(context.active(), root);
    for (let i = 0; i < 1_005; i++) tracer.startSpan(`s${i}`, {}, parent).end();
    const big = recent.trace(root.spanContext().traceId)!;
    assert.equal(big.spans.length, 1_000);
    assert.equal(big.droppedSpans, 5);
  });
});
