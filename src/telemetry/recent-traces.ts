import { type Attributes, type HrTime, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { LruCache } from '../kit/lru.ts';

/** Span attributes that name the event a span handled: `GET /admin/traces?event_id=` finds traces by them. */
export const EVENT_ID_ATTRIBUTES = ['herald.event_id', 'messaging.message.id'] as const;

/** Spans kept per trace; a trace with more keeps its first ones and counts the rest. */
const MAX_SPANS_PER_TRACE = 1_000;
/** Traces remembered per event id (an event replayed is a new trace). */
const MAX_TRACES_PER_EVENT = 16;

/** One span as `GET /admin/traces` shows it. */
export interface SpanView {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  kind: 'INTERNAL' | 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER';
  service: string;
  /** ISO 8601. */
  start: string;
  durationMs: number;
  status: 'unset' | 'ok' | 'error';
  statusMessage?: string;
  attributes: Attributes;
  events: { name: string; at: string; attributes: Attributes }[];
  links: { traceId: string; spanId: string }[];
}

/** A trace: its spans in start order. `droppedSpans` counts spans past the per-trace cap. */
export interface TraceView {
  traceId: string;
  spans: SpanView[];
  droppedSpans: number;
}

/** A line of the list of recent traces. */
export interface TraceSummary {
  traceId: string;
  /** The name of the earliest span kept (the root, when it has ended). */
  name: string;
  start: string;
  durationMs: number;
  spans: number;
  errors: number;
}

interface Stored {
  spans: ReadableSpan[];
  dropped: number;
}

/**
 * The most recent traces, in memory: a span processor that keeps ended spans grouped by trace, at most `capacity`
 * traces (the trace seen least recently goes first), and an index from event ids (see {@link EVENT_ID_ATTRIBUTES})
 * to their traces. It serves `GET /admin/traces`, so that one event can be followed from its request to each
 * destination attempt without any tracing backend.
 */
export class RecentTraces implements SpanProcessor {
  readonly capacity: number;
  /** Least recently seen first; evicting stays O(1) at any capacity (through a `Map`'s order it was a scan). */
  readonly #traces: LruCache<string, Stored>;
  readonly #byEvent = new Map<string, string[]>();

  constructor(capacity: number) {
    this.capacity = capacity;
    this.#traces = new LruCache(capacity);
  }

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    const traceId = span.spanContext().traceId;
    let stored = this.#traces.get(traceId); // most recently seen now
    if (stored === undefined) {
      stored = { spans: [], dropped: 0 };
      if (this.#traces.set(traceId, stored).length > 0) this.#forgetEvents();
    }
    if (stored.spans.length >= MAX_SPANS_PER_TRACE) {
      stored.dropped += 1;
      return;
    }
    stored.spans.push(span);
    for (const key of EVENT_ID_ATTRIBUTES) {
      const id = span.attributes[key];
      if (typeof id === 'string') this.#index(id, traceId);
    }
  }

  /** A trace by id, or `undefined` when it is not (or no longer) kept. */
  trace(traceId: string): TraceView | undefined {
    const stored = this.#traces.peek(traceId);
    if (stored === undefined) return undefined;
    const spans = [...stored.spans].sort(startOrder).map(spanView);
    return { traceId, spans, droppedSpans: stored.dropped };
  }

  /** The kept traces of an event, oldest first. */
  traces(eventId: string): TraceView[] {
    return (this.#byEvent.get(eventId) ?? []).flatMap((id) => this.trace(id) ?? []);
  }

  /** The `limit` most recently seen traces, most recent first. */
  list(limit: number): TraceSummary[] {
    const out: TraceSummary[] = [];
    for (const [traceId, stored] of this.#traces.newestFirst()) {
      if (out.length >= limit) break;
      out.push(summary(traceId, stored.spans));
    }
    return out;
  }

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {}

  /** Now and then, forgets events whose traces are all gone (the index stays bounded by the traces kept). */
  #forgetEvents(): void {
    if (this.#byEvent.size > this.capacity * 4) {
      for (const [event, ids] of this.#byEvent) {
        if (!ids.some((id) => this.#traces.has(id))) this.#byEvent.delete(event);
      }
    }
  }

  #index(eventId: string, traceId: string): void {
    const ids = this.#byEvent.get(eventId);
    if (ids === undefined) {
      this.#byEvent.set(eventId, [traceId]);
    } else if (!ids.includes(traceId)) {
      ids.push(traceId);
      if (ids.length > MAX_TRACES_PER_EVENT) ids.shift();
    }
  }
}

const KINDS: SpanView['kind'][] = ['INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];

function spanView(span: ReadableSpan): SpanView {
  const context = span.spanContext();
  const view: SpanView = {
    traceId: context.traceId,
    spanId: context.spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    name: span.name,
    kind: KINDS[span.kind] ?? 'INTERNAL',
    service: String(span.resource.attributes['service.name'] ?? ''),
    start: isoOf(span.startTime),
    durationMs: millisOf(span.duration),
    status: span.status.code === SpanStatusCode.ERROR ? 'error' : span.status.code === SpanStatusCode.OK ? 'ok' : 'unset',
    attributes: span.attributes,
    events: span.events.map((e) => ({ name: e.name, at: isoOf(e.time), attributes: e.attributes ?? {} })),
    links: span.links.map((l) => ({ traceId: l.context.traceId, spanId: l.context.spanId })),
  };
  if (span.status.message) view.statusMessage = span.status.message;
  return view;
}

function summary(traceId: string, spans: ReadableSpan[]): TraceSummary {
  let earliest = spans[0];
  let end = 0;
  let errors = 0;
  for (const span of spans) {
    if (compareHrTime(span.startTime, earliest.startTime) < 0) earliest = span;
    end = Math.max(end, nanosOf(span.endTime));
    if (span.status.code === SpanStatusCode.ERROR) errors += 1;
  }
  const root = spans.find((span) => span.parentSpanContext === undefined) ?? earliest;
  return {
    traceId,
    name: root.name,
    start: isoOf(earliest.startTime),
    durationMs: Math.round((end - nanosOf(earliest.startTime)) / 1e3) / 1e3,
    spans: spans.length,
    errors,
  };
}

/** By start time; of two started in the same tick, a parent before its child. */
function startOrder(a: ReadableSpan, b: ReadableSpan): number {
  const byTime = compareHrTime(a.startTime, b.startTime);
  if (byTime !== 0) return byTime;
  if (b.parentSpanContext?.spanId === a.spanContext().spanId) return -1;
  return a.parentSpanContext?.spanId === b.spanContext().spanId ? 1 : 0;
}

function compareHrTime(a: HrTime, b: HrTime): number {
  return a[0] - b[0] || a[1] - b[1];
}

function nanosOf(time: HrTime): number {
  return time[0] * 1e9 + time[1];
}

function millisOf(time: HrTime): number {
  return Math.round(nanosOf(time) / 1e3) / 1e3;
}

function isoOf(time: HrTime): string {
  return new Date(time[0] * 1e3 + time[1] / 1e6).toISOString();
}
