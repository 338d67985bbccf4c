import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { SpanKind, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { jsonCodec } from '../../src/codec/index.ts';
import { HeraldError } from '../../src/errors.ts';
import { TopologyTester } from '../../src/processor/tester.ts';
import { defineGroup } from '../../src/processor/topology.ts';
import { installContextManager } from '../../src/telemetry/trace-context.ts';

const UPSTREAM = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('processor spans', () => {
  const exporter = new InMemorySpanExporter();
  before(async () => {
    installContextManager();
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    await nextTurn(); // the SDK is seen from the next turn
  });
  after(() => trace.disable());

  it("a record's handling is a CONSUMER span of its producer's trace: table writes, emits, retries as events", async () => {
    let failures = 1;
    const group = defineGroup('counter')
      .persist(jsonCodec<number>())
      .output('totals', jsonCodec<number>())
      .input('clicks', jsonCodec<{ n: number }>(), (ctx, click) => {
        if (click?.n === 13) throw new HeraldError('HERALD_VALIDATION_FAILED', 'unlucky');
        const total = (ctx.get() ?? 0) + (click?.n ?? 0);
        ctx.set(total);
        ctx.emit('totals', ctx.key, total);
        if (failures-- > 0) throw new Error('transient');
      })
      .build();
    const tester = new TopologyTester(group);
    await tester.send('clicks', 'k1', { n: 2 }, { headers: { traceparent: UPSTREAM, 'herald-event-id': 'e1' } });
    const [span] = exporter.getFinishedSpans();
    assert.equal(span.name, 'process clicks');
    assert.equal(span.kind, SpanKind.CONSUMER);
    assert.equal(span.spanContext().traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.equal(span.parentSpanContext?.spanId, '00f067aa0ba902b7');
    assert.equal(span.attributes['messaging.consumer.group.name'], 'counter');
    assert.equal(span.attributes['messaging.message.id'], 'e1');
    assert.deepEqual(
      span.events.map((e) => [e.name, e.attributes?.['herald.attempt'] ?? e.attributes?.['messaging.destination.name'] ?? e.attributes?.['herald.table.key']]),
      [
        ['retry', 1],
        ['table.set', 'k1'],
        ['emit', 'totals'],
      ],
    );
    const [emitted] = tester.emitted('totals');
    assert.ok(emitted.headers.traceparent?.includes(span.spanContext().spanId), 'the emitted record continues the span');

    exporter.reset();
    await tester.send('clicks', 'k1', { n: 13 });
    const [failed] = exporter.getFinishedSpans();
    assert.ok(failed.events.some((e) => e.name === 'dead_lettered'));
  });
});
