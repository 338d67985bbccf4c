import {
  type Attributes,
  context,
  type Link,
  type Span,
  SpanKind,
  trace,
} from '@opentelemetry/api';
import type { Broker, Headers, OutgoingRecord, Producer, RecordPosition } from '../broker/port.ts';
import { overriding } from '../kit/overriding.ts';
import { newTracesRecorded, spanUnrecorded, tracingActive, unrecordedContext } from './active.ts';
import { describeRecord, failSpan } from './conventions.ts';
import { extractTraceContext, injectTraceContext } from './trace-context.ts';

const TRACEPARENT = 'traceparent';
const TRACESTATE = 'tracestate';

/**
 * The broker with every producer it makes traced (see {@link tracedProducer}); everything else — the adapter's own
 * extras included — is the broker's.
 * The platform wraps the broker it boots with this, so every record any part of Herald sends — HTTP ingest,
 * handlers' emits, dead letters, replays, the outbox relay — carries trace context.
 */
export function tracedBroker<B extends Broker>(broker: B): B {
  return overriding(broker, new Map([['producer', () => tracedProducer(broker.producer())]]));
}

/**
 * A producer whose sends are `send <topic>` PRODUCER spans (OpenTelemetry messaging conventions), one per topic of a
 * send — per distinct parent, when records bring their own — each record carrying its span's context in
 * `traceparent`, so the consumer's `process <topic>` span continues the trace.
 *
 * A span's parent is the active span (the HTTP request, the handler's record); with none active, the trace context
 * the record already carries (a replayed dead letter, an outbox row); else it starts a trace. A record's own
 * context that is not the parent becomes a link. A trace that is not recorded (see {@link unrecordedContext}) gets no
 * span: its records carry the parent's context on, the sampled flag off.
 *
 * With no SDK registered nothing is recorded: a record without `traceparent` sent while a remote trace context is
 * active (a request or record that carried one) gets that context, so traces pass through a Herald that records none.
 */
export function tracedProducer(producer: Producer): Producer {
  return {
    send: (records) => (traces(records) ? sendTraced(producer, records) : producer.send(passThrough(records))),
    close: () => producer.close(),
  };
}

/** Whether a send has spans to make: an SDK is registered, and there is a trace to continue or one may start. */
function traces(records: OutgoingRecord[]): boolean {
  if (!tracingActive()) return false;
  return (
    newTracesRecorded() ||
    trace.getSpan(context.active()) !== undefined ||
    records.some((r) => r.headers?.[TRACEPARENT] !== undefined)
  );
}

function passThrough(records: OutgoingRecord[]): OutgoingRecord[] {
  const active = trace.getSpanContext(context.active());
  if (active === undefined || records.every((r) => r.headers?.[TRACEPARENT] !== undefined)) return records;
  return records.map((r) =>
    r.headers?.[TRACEPARENT] !== undefined ? r : { ...r, headers: injectTraceContext({ ...r.headers }) },
  );
}

interface SendSpan {
  /** `undefined`: the trace is not recorded, and the records carry their parent's context on. */
  span: Span | undefined;
  /** The trace headers every record of the span carries (built once: `traceparent`, `tracestate`, the application's). */
  carried: Headers;
  indices: number[];
}

async function sendTraced(producer: Producer, records: OutgoingRecord[]): Promise<RecordPosition[]> {
  const active = context.active();
  const hasActiveSpan = trace.getSpan(active) !== undefined;
  // The usual send of a trace not recorded (a request or record whose trace is not sampled): every record carries
  // the active context on, with no span to group them under.
  if (hasActiveSpan && spanUnrecorded(active)) {
    const carried = injectTraceContext({}, active);
    return producer.send(records.map((record) => ({ ...record, headers: carrying(record.headers, carried) })));
  }
  const spans = new Map<string, SendSpan>();
  const out = records.map((record, index): OutgoingRecord => {
    const own = record.headers?.[TRACEPARENT];
    const group = hasActiveSpan || own === undefined ? record.topic : `${record.topic}\n${own}`;
    let send = spans.get(group);
    if (send === undefined) {
      const parent = hasActiveSpan || own === undefined ? active : extractTraceContext(record.headers!);
      const unrecorded = unrecordedContext(parent);
      if (unrecorded !== undefined) {
        send = { span: undefined, carried: injectTraceContext({}, unrecorded), indices: [] };
      } else {
        const links: Link[] = [];
        if (hasActiveSpan && own !== undefined) {
          const linked = trace.getSpanContext(extractTraceContext(record.headers!));
          if (linked !== undefined) links.push({ context: linked });
        }
        const span = trace.getTracer('herald.broker').startSpan(
          `send ${record.topic}`,
          { kind: SpanKind.PRODUCER, attributes: sendAttributes(record.topic), links },
          parent,
        );
        send = { span, carried: injectTraceContext({}, trace.setSpan(parent, span)), indices: [] };
      }
      spans.set(group, send);
    }
    send.indices.push(index);
    return { ...record, headers: carrying(record.headers, send.carried) };
  });
  for (const { span, indices } of spans.values()) {
    if (span === undefined || !span.isRecording()) continue;
    if (indices.length > 1) span.setAttribute('messaging.batch.message_count', indices.length);
    else describeRecord(span, out[indices[0]].key, out[indices[0]].headers);
  }
  try {
    const positions = await producer.send(out);
    for (const { span, indices } of spans.values()) {
      if (span === undefined) continue;
      if (indices.length === 1 && span.isRecording()) {
        const { partition, offset } = positions[indices[0]];
        span.setAttributes({ 'messaging.destination.partition.id': String(partition), 'messaging.kafka.offset': offset });
      }
      span.end();
    }
    return positions;
  } catch (err) {
    for (const { span } of spans.values()) {
      if (span === undefined) continue;
      failSpan(span, err);
      span.end();
    }
    throw err;
  }
}

/** A record's headers with its own trace context replaced by `carried` (the application's other fields kept). */
function carrying(own: Headers | undefined, carried: Headers): Headers {
  const headers = { ...own };
  delete headers[TRACEPARENT];
  delete headers[TRACESTATE];
  for (const name in carried) headers[name] ??= carried[name];
  return headers;
}

function sendAttributes(topic: string): Attributes {
  return {
    'messaging.system': 'kafka',
    'messaging.operation.type': 'send',
    'messaging.operation.name': 'send',
    'messaging.destination.name': topic,
  };
}
