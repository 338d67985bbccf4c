/**
 * One event's journey: the traces this process keeps (`telemetry.traces.recent`) for an event id (the
 * `herald-event-id` its records carry) or a trace id, each as a waterfall — the request, every send with its topic,
 * partition and offset, every handling with its retries and dead-lettering, every call to a destination.
 */
import type { FastifyInstance } from 'fastify';
import { html } from '../http/html.ts';
import type { RecentTraces, SpanView, TraceView } from '../telemetry/recent-traces.ts';
import { page } from './layout.ts';

/** Span attributes worth showing, with their labels: where a record went and what was called. */
const SHOWN: [attribute: string, label: string][] = [
  ['messaging.destination.name', 'topic'],
  ['messaging.destination.partition.id', 'partition'],
  ['messaging.kafka.offset', 'offset'],
  ['http.response.status_code', 'status'],
  ['herald.destination', 'destination'],
  ['url.full', 'url'],
];

function waterfall(trace: TraceView) {
  const starts = trace.spans.map((s) => Date.parse(s.start));
  const t0 = Math.min(...starts);
  const end = Math.max(...trace.spans.map((s, i) => starts[i] + s.durationMs));
  const total = Math.max(end - t0, 1);
  const depth = new Map<string, number>();
  const depthOf = (span: SpanView): number => {
    const known = depth.get(span.spanId);
    if (known !== undefined) return known;
    const parent = trace.spans.find((s) => s.spanId === span.parentSpanId);
    const d = parent === undefined ? 0 : depthOf(parent) + 1;
    depth.set(span.spanId, d);
    return d;
  };
  const ordered = [...trace.spans].sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  return html`<h2>trace ${trace.traceId}</h2><table class="waterfall"><thead><tr><th>span</th><th>service</th><th class="n">ms</th>
<th style="width:40%">timeline (${total.toFixed(1)} ms)</th><th>details</th></tr></thead><tbody>${ordered.map((span) => {
    const left = ((Date.parse(span.start) - t0) / total) * 100;
    const width = Math.max((span.durationMs / total) * 100, 0.5);
    const colour = span.status === 'error' ? '#c62828' : span.kind === 'CLIENT' || span.kind === 'PRODUCER' ? '#1769aa' : '#2e7d32';
    const details = SHOWN.filter(([k]) => span.attributes[k] !== undefined).map(([k, label]) => `${label}=${String(span.attributes[k])}`);
    const events = span.events.map((e) => e.name);
    return html`<tr><td style="padding-left:${0.6 + depthOf(span)}rem">${span.name} <span class="muted">${span.kind.toLowerCase()}</span></td>
<td>${span.service}</td><td class="n">${span.durationMs.toFixed(1)}</td>
<td><div style="margin-left:${left.toFixed(2)}%;width:${width.toFixed(2)}%;height:.8rem;background:${colour}"></div></td>
<td>${details.join(' ')}${events.length > 0 ? html` <b>${events.join(', ')}</b>` : ''}${span.statusMessage ? html` <span class="muted">${span.statusMessage}</span>` : ''}</td></tr>`;
  })}</tbody></table>${trace.droppedSpans > 0 ? html`<p class="muted">${trace.droppedSpans} spans not kept.</p>` : ''}`;
}

export function registerJourneyPage(app: FastifyInstance, traces: RecentTraces | undefined): void {
  app.get<{ Querystring: { id?: string } }>(
    '/journey',
    { schema: { summary: "console: an event's journey", querystring: { type: 'object', properties: { id: { type: 'string', maxLength: 200 } } } } },
    async (request, reply) => {
      const id = request.query.id?.trim() ?? '';
      const form = html`<form class="inline" method="get"><label>event id or trace id<input name="id" value="${id}" size="40"></label><button>Follow</button></form>`;
      let body;
      if (traces === undefined) {
        body = html`<p>Traces are not kept in this process: set <code>telemetry.traces.recent</code> (<code>npm start</code> keeps 1,000).</p>`;
      } else if (id === '') {
        const recent = traces.list(20);
        body = html`<h2>recent traces</h2><table><thead><tr><th>trace</th><th>first span</th><th>start</th><th class="n">ms</th><th class="n">spans</th><th class="n">errors</th></tr></thead>
<tbody>${recent.map((t) => html`<tr><td><a href="/console/journey?id=${t.traceId}">${t.traceId.slice(0, 12)}…</a></td><td>${t.name}</td><td>${t.start}</td>
<td class="n">${t.durationMs.toFixed(1)}</td><td class="n">${t.spans}</td><td class="n">${t.errors}</td></tr>`)}</tbody></table>`;
      } else {
        const found = [...traces.traces(id)];
        const byTraceId = traces.trace(id);
        if (byTraceId !== undefined && !found.some((t) => t.traceId === id)) found.push(byTraceId);
        body = found.length === 0 ? html`<p id="none">No trace of ${id} is kept (not seen; not sampled — <code>telemetry.traces.sampleRatio</code> and <code>telemetry.traces.perSecond</code> choose which new traces are recorded; or older than the newest kept).</p>` : found.map(waterfall);
      }
      return reply.type('text/html; charset=utf-8').send(page('journey', 'Journey', html`${form}${body}`));
    },
  );
}
