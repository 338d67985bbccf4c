import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { OutgoingRecord, Producer } from '../../src/broker/port.ts';
import { tracedProducer } from '../../src/telemetry/traced-broker.ts';
import { extractTraceContext, installContextManager } from '../../src/telemetry/trace-context.ts';

const UPSTREAM = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

/** A producer that keeps what it is given; `fail` makes the next send reject. */
function capturing() {
  const sent: OutgoingRecord[][] = [];
  let fail = false;
  const producer: Producer = {
    async send(records) {
      if (fail) throw new Error('broker down');
      sent.push(records);
      return records.map((_, i) => ({ topic: records[i].topic, partition: 0, offset: i }));
    },
    async close() {},
  };
  return { producer, sent, failNext: () => (fail = true) };
}

const record = (topic: string, headers: Record<string, string> = {}): OutgoingRecord => ({
  topic,
  key: Buffer.from('k'),
  value: Buffer.from('v'),
  headers,
});

describe('traced producer', () => {
  before(() => installContextManager());

  it('with no SDK: records pass as they are, or take the remote trace context that is active', async () => {
    const { producer, sent } = capturing();
    const traced = tracedProducer(producer);
    await traced.send([record('a')]);
    assert.equal(sent[0][0].headers?.traceparent, undefined);
    await context.with(extractTraceContext({ traceparent: UPSTREAM }), () =>
      traced.send([record('a'), record('a', { traceparent: 'kept' })]),
    );
    assert.equal(sent[1][0].headers?.traceparent, UPSTREAM);
    assert.equal(sent[1][1].headers?.traceparent, 'kept');
    await traced.close();
  });

  describe('with an SDK', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    before(() => {
      trace.setGlobalTracerProvider(provider);
    });
    after(() => trace.disable());

    it('one PRODUCER span per topic under the active span, its context in each record, the old one linked', async () => {
      exporter.reset();
      const { producer, sent } = capturing();
      const parent = trace.getTracer('t').startSpan('POST /publish');
      await new Promise((resolve) => setImmediate(resolve)); // the SDK is seen from the next turn
      await context.with(trace.setSpan(context.active(), parent), () =>
        tracedProducer(producer).send([record('a', { traceparent: UPSTREAM }), record('a'), record('b')]),
      );
      parent.end();
      const spans = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.PRODUCER);
      assert.deepEqual(spans.map((s) => s.name).sort(), ['send a', 'send b']);
      const a = spans.find((s) => s.name === 'send a')!;
      const b = spans.find((s) => s.name === 'send b')!;
      assert.equal(a.parentSpanContext?.spanId, parent.spanContext().spanId);
      assert.equal(a.attributes['messaging.batch.message_count'], 2);
      assert.equal(a.links[0].context.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
      assert.equal(b.attributes['messaging.kafka.message.key'], 'k');
      assert.equal(b.attributes['messaging.kafka.offset'], 2);
      const [first, second, third] = sent[0];
      assert.equal(first.headers?.traceparent, second.headers?.traceparent);
      assert.ok(first.headers?.traceparent?.includes(a.spanContext().spanId));
      assert.ok(third.headers?.traceparent?.includes(b.spanContext().spanId));
    });

    it('with no active span, a record continues the trace it carries; a failed send is an error span', async () => {
      exporter.reset();
      const { producer, sent, failNext } = capturing();
      const traced = tracedProducer(producer);
      await traced.send([record('a', { traceparent: UPSTREAM, 'herald-event-id': 'e1' })]);
      const [span] = exporter.getFinishedSpans();
      assert.equal(span.spanContext().traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
      assert.equal(span.parentSpanContext?.spanId, '00f067aa0ba902b7');
      assert.equal(span.attributes['messaging.message.id'], 'e1');
      assert.ok(sent[0][0].headers?.traceparent?.includes(span.spanContext().spanId));
      failNext();
      await assert.rejects(traced.send([record('a')]), /broker down/);
      const failed = exporter.getFinishedSpans()[1];
      assert.equal(failed.status.code, SpanStatusCode.ERROR);
      assert.equal(failed.events[0].name, 'exception');
    });
  });
});
