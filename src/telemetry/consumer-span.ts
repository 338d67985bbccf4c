import { type Context, ROOT_CONTEXT, type Span, SpanKind, type Tracer, trace } from '@opentelemetry/api';
import type { BrokerRecord } from '../broker/port.ts';
import { unrecordedContext } from './active.ts';
import { describeRecord } from './conventions.ts';
import { NOT_RECORDING } from './with-span.ts';
import { extractTraceContext } from './trace-context.ts';

/** A started `process <topic>` span and the context to run the record's handling in. */
export interface ConsumerSpan {
  span: Span;
  context: Context;
}

/**
 * Starts the CONSUMER span of one record's handling (`process <topic>`, OpenTelemetry messaging conventions),
 * parented on the producer's span the record's `traceparent` names — the conventions allow parenting for
 * single-record processing — with the record's topic, partition, offset, key, event id and the consumer group.
 * `undefined` when there is nothing to record and no trace to continue (the caller skips the context switch). When
 * the record's trace is not recorded (see {@link unrecordedContext}) no span is started: the handling runs in the
 * trace's context, given its non-recording span. `globalTracer: false` (a tracer from a provider of the caller's own,
 * whose sampler Herald does not know) always starts the span.
 */
export function startConsumerSpan(
  tracer: Tracer,
  record: BrokerRecord,
  group: string,
  globalTracer = true,
): ConsumerSpan | undefined {
  const traced = record.headers.traceparent !== undefined;
  const parent = traced ? extractTraceContext(record.headers) : ROOT_CONTEXT;
  const unrecorded = globalTracer ? unrecordedContext(parent) : undefined;
  if (unrecorded !== undefined) return { span: trace.getSpan(unrecorded) ?? NOT_RECORDING, context: unrecorded };
  const span = tracer.startSpan(`process ${record.topic}`, { kind: SpanKind.CONSUMER }, parent);
  if (!traced && !span.isRecording()) return undefined;
  if (span.isRecording()) {
    span.setAttributes({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.destination.name': record.topic,
      'messaging.destination.partition.id': String(record.partition),
      'messaging.kafka.offset': record.offset,
      'messaging.consumer.group.name': group,
    });
    describeRecord(span, record.key, record.headers);
  }
  return { span, context: trace.setSpan(parent, span) };
}
