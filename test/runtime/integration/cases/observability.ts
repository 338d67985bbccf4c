import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Registry } from 'prom-client';
import { jsonCodec } from '../../../../src/codec/json.ts';
import { Emitter, publish } from '../../../../src/runtime/emitter.ts';
import { HEADERS } from '../../../../src/runtime/headers.ts';
import { json, type RuntimeTest } from '../harness.ts';

async function metricValues(registry: Registry, name: string): Promise<Map<string, number>> {
  const metric = registry.getSingleMetric(name);
  assert.ok(metric, `${name} is not registered`);
  const { values } = await metric.get();
  return new Map(values.map((v) => [JSON.stringify(v.labels), v.value]));
}

export function observabilityTests(test: RuntimeTest): void {
  describe('observability', () => {
    test('counts processed, failed, retried, dead-lettered, attempt durations and lag per handler', async (h) => {
      const topic = await h.topic(2);
      const group = h.group();
      const registry = new Registry();
      let flakyFailed = false;
      const router = h.router({ metrics: { registry }, retry: { initialDelayMs: 5, maxAttempts: 2 } });
      router.handle<{ n: number }>(
        topic,
        group,
        async (m) => {
          if (m.value.n === 1 && !flakyFailed) {
            flakyFailed = true;
            throw new Error('once');
          }
        },
        { codec: jsonCodec<{ n: number }>() },
      );
      await router.start();
      await h.send([
        ...[0, 1, 2, 3, 4, 5].map((n) => ({ topic, key: Buffer.from(`k${n}`), value: json({ n }) })),
        { topic, key: Buffer.from('poison'), value: Buffer.from('not json') },
      ]);
      const labels = JSON.stringify({ topic, group });
      const count = async (name: string) => (await metricValues(registry, name)).get(labels) ?? 0;
      await h.waitFor(
        async () => (await count('herald_handler_processed_total')) === 6,
        () => '6 processed',
      );
      await h.waitFor(
        async () => (await count('herald_handler_dead_lettered_total')) === 1,
        () => '1 dead-lettered',
      );
      assert.equal(await count('herald_handler_failed_total'), 2);
      assert.equal(await count('herald_handler_retried_total'), 1);
      const durations = await metricValues(registry, 'herald_handler_duration_seconds');
      const attempts = [...durations]
        .filter(([key]) => key.includes('"le":"+Inf"') && key.includes(topic))
        .reduce((n, [, v]) => n + v, 0);
      assert.equal(attempts, 8, 'six first attempts, one retry, one poison attempt');
      await h.waitFor(
        async () => {
          const lag = await metricValues(registry, 'herald_handler_consumer_lag');
          const mine = [...lag].filter(([key]) => key.includes(topic));
          return mine.length === 2 && mine.every(([, v]) => v === 0);
        },
        () => 'a lag reading of 0 for both partitions',
      );
    });

    test('continues the trace from traceparent and carries trace and correlation id into emitted records', async (h) => {
      const manager = new AsyncLocalStorageContextManager().enable();
      context.setGlobalContextManager(manager);
      h.defer(() => context.disable());
      const exporter = new InMemorySpanExporter();
      const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
      const tracer = provider.getTracer('test');
      const input = await h.topic(1);
      const output = await h.topic(1);
      const group = h.group();
      const emitter = new Emitter(h.producer(), output, jsonCodec<{ echo: string }>());
      const router = h.router({ tracing: { tracerProvider: provider } });
      let handlerTrace: { traceId: string; spanId: string } | undefined;
      let logged: unknown;
      router.handle<{ text: string }>(
        input,
        group,
        async (m) => {
          handlerTrace = trace.getActiveSpan()?.spanContext();
          logged = (m.logger as unknown as { bindings(): Record<string, unknown> }).bindings().correlationId;
          await emitter.emit(m.key, { echo: m.value.text });
        },
        { codec: jsonCodec<{ text: string }>() },
      );
      await router.start();

      const producerSpan = tracer.startSpan('POST /orders');
      await context.with(trace.setSpan(context.active(), producerSpan), () =>
        publish(h.producer(), [
          {
            topic: input,
            key: Buffer.from('k'),
            value: json({ text: 'hi' }),
            headers: { [HEADERS.requestId]: 'req-9' },
          },
        ]),
      );
      producerSpan.end();
      // The emitted record can be readable before the handler's send resolves (as on Kafka, where consumers see a
      // record once replicated, before the producer's acknowledgement arrives): wait for the span to end too.
      await h.waitFor(
        async () =>
          (await h.readAll(output)).length === 1 &&
          exporter.getFinishedSpans().some((s) => s.name === `process ${input}`),
        () => 'the emitted record and the finished handler span',
      );
      const [received] = await h.readAll(input);
      const [emitted] = await h.readAll(output);
      const sent = producerSpan.spanContext();
      assert.equal(received.headers.traceparent, `00-${sent.traceId}-${sent.spanId}-01`);

      const processing = exporter.getFinishedSpans().find((s) => s.name === `process ${input}`);
      assert.ok(processing, 'no handler span');
      assert.equal(processing.spanContext().traceId, sent.traceId);
      assert.equal(processing.parentSpanContext?.spanId, sent.spanId);
      assert.deepEqual(
        [handlerTrace?.traceId, handlerTrace?.spanId],
        [sent.traceId, processing.spanContext().spanId],
        'the handler does not run in its span',
      );
      assert.equal(emitted.headers.traceparent, `00-${sent.traceId}-${processing.spanContext().spanId}-01`);
      assert.equal(emitted.headers[HEADERS.correlationId], 'req-9');
      assert.equal(logged, 'req-9');
      assert.deepEqual(JSON.parse(emitted.value!.toString()), { echo: 'hi' });
    });
  });
}
