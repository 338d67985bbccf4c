import type { FastifyInstance } from 'fastify';
import { HeraldError } from '../../errors.ts';
import type { RecentTraces } from '../../telemetry/recent-traces.ts';

const tracesQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    trace_id: { type: 'string', pattern: '^[0-9a-f]{32}$', description: 'one trace, by its W3C trace id' },
    event_id: { type: 'string', minLength: 1, maxLength: 200, description: "an event's traces, by its event id" },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50, description: 'most recent traces listed' },
  },
} as const;

/**
 * `GET /admin/traces` — the traces this process keeps in memory (`telemetry.traces.recent`):
 * - `?trace_id=` → one trace, `{traceId, spans: [...], droppedSpans}`, spans in start order;
 * - `?event_id=` → `{eventId, traces: [...]}`, every kept trace of that event (a replay is a trace of its own);
 * - neither → `{traces: [{traceId, name, start, durationMs, spans, errors}]}`, most recent first.
 * A trace or event not (or no longer) kept is 404; with no traces kept at all, 404 saying how to keep them.
 */
export function registerTraceRoutes(app: FastifyInstance, traces: RecentTraces | undefined): void {
  app.get<{ Querystring: { trace_id?: string; event_id?: string; limit: number } }>(
    '/traces',
    { schema: { summary: 'recent traces kept in memory: one by trace id, an event’s, or the list', querystring: tracesQuery } },
    async (request) => {
      if (traces === undefined) {
        throw new HeraldError('HERALD_NOT_FOUND', 'no traces are kept: set telemetry.traces.recent (e.g. 1000)');
      }
      const { trace_id: traceId, event_id: eventId, limit } = request.query;
      if (traceId !== undefined) {
        const found = traces.trace(traceId);
        if (found === undefined) throw new HeraldError('HERALD_NOT_FOUND', `trace ${traceId} is not kept (not seen, not sampled, or older than the newest kept)`);
        return found;
      }
      if (eventId !== undefined) {
        const found = traces.traces(eventId);
        if (found.length === 0) throw new HeraldError('HERALD_NOT_FOUND', `no trace of event ${eventId} is kept (not seen, not sampled, or older than the newest kept)`);
        return { eventId, traces: found };
      }
      return { traces: traces.list(limit) };
    },
  );
}
