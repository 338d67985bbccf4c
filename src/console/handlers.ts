/**
 * The application view of the handler runtime: every (topic, group) a router handles, from the process's own
 * metrics — records processed, attempts failed and retried, records dead-lettered and skipped, mean handling time and
 * current lag. delivery's destinations show here as their sender groups (`delivery.send.<destination>`): their
 * successes, failures, retries and backlog.
 */
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { html } from '../http/html.ts';
import { liveRegion, page } from './layout.ts';

/** How often the page asks for its table again. */
const REFRESH_MS = 2_000;

/** One handled (topic, group): what the `herald_handler_*` metrics say of it. */
export interface HandlerRow {
  topic: string;
  group: string;
  processed: number;
  failed: number;
  retried: number;
  deadLettered: number;
  skipped: number;
  /** Mean duration of an attempt, in milliseconds; `undefined` before the first. */
  meanMs: number | undefined;
  lag: number;
}

interface MetricJson {
  name: string;
  values: { labels: Record<string, string | number>; value: number; metricName?: string }[];
}

const COUNTERS: Record<string, keyof HandlerRow> = {
  herald_handler_processed_total: 'processed',
  herald_handler_failed_total: 'failed',
  herald_handler_retried_total: 'retried',
  herald_handler_dead_lettered_total: 'deadLettered',
  herald_handler_skipped_total: 'skipped',
};

/** The handler rows of a registry, sorted by group then topic. */
export async function handlerRows(registry: Registry): Promise<HandlerRow[]> {
  const metrics = (await registry.getMetricsAsJSON()) as unknown as MetricJson[];
  const rows = new Map<string, HandlerRow & { durationSum: number; durationCount: number }>();
  const row = (labels: Record<string, string | number>) => {
    const topic = String(labels.topic);
    const group = String(labels.group);
    const key = `${group}\u0000${topic}`;
    let found = rows.get(key);
    if (found === undefined) {
      found = { topic, group, processed: 0, failed: 0, retried: 0, deadLettered: 0, skipped: 0, meanMs: undefined, lag: 0, durationSum: 0, durationCount: 0 };
      rows.set(key, found);
    }
    return found;
  };
  for (const metric of metrics) {
    const field = COUNTERS[metric.name];
    for (const value of metric.values) {
      if (value.labels.topic === undefined || value.labels.group === undefined) continue;
      if (field !== undefined) (row(value.labels)[field] as number) += value.value;
      else if (metric.name === 'herald_handler_consumer_lag') row(value.labels).lag += value.value;
      else if (metric.name === 'herald_handler_duration_seconds') {
        if (value.metricName?.endsWith('_sum')) row(value.labels).durationSum += value.value;
        if (value.metricName?.endsWith('_count')) row(value.labels).durationCount += value.value;
      }
    }
  }
  return [...rows.values()]
    .map(({ durationSum, durationCount, ...r }) => ({ ...r, meanMs: durationCount > 0 ? (durationSum / durationCount) * 1000 : undefined }))
    .sort((a, b) => (a.group === b.group ? a.topic.localeCompare(b.topic) : a.group.localeCompare(b.group)));
}

/** The handlers' table (the page's live region). */
function handlersTable(rows: HandlerRow[]) {
  const n = (value: number) => value.toLocaleString('en-US');
  return html`<table id="handlers"><thead><tr><th>group</th><th>topic</th><th class="n">processed</th><th class="n">failed</th>
<th class="n">retried</th><th class="n">dead-lettered</th><th class="n">skipped</th><th class="n">success</th><th class="n">mean ms</th><th class="n">lag</th></tr></thead>
<tbody>${rows.map((r) => {
    const success = r.processed + r.deadLettered === 0 ? '–' : `${((r.processed / (r.processed + r.deadLettered)) * 100).toFixed(1)}%`;
    return html`<tr><td>${r.group}</td><td>${r.topic}</td><td class="n">${n(r.processed)}</td><td class="n">${n(r.failed)}</td>
<td class="n">${n(r.retried)}</td><td class="n">${n(r.deadLettered)}</td><td class="n">${n(r.skipped)}</td><td class="n">${success}</td>
<td class="n">${r.meanMs === undefined ? '–' : r.meanMs.toFixed(1)}</td><td class="n">${n(r.lag)}</td></tr>`;
  })}</tbody></table>${rows.length === 0 ? html`<p class="muted">No handlers have run in this process yet.</p>` : ''}`;
}

export function registerHandlerPage(app: FastifyInstance, registry: Registry): void {
  app.get<{ Querystring: { fragment?: string } }>(
    '/handlers',
    { schema: { summary: 'console: handlers and what they did' } },
    async (request, reply) => {
      const table = handlersTable(await handlerRows(registry));
      reply.type('text/html; charset=utf-8');
      if (request.query.fragment !== undefined) return reply.send(table.text);
      const body = html`<div id="handlers-live">${table}</div>${liveRegion('handlers-live', '/console/handlers?fragment=1', REFRESH_MS)}`;
      return reply.send(page('handlers', 'Handlers', body));
    },
  );
}
