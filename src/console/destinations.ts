/**
 * delivery's destinations as the process's metrics tell them: events delivered, every attempt by outcome (2xx, 4xx,
 * 5xx, timeout, refused connection), the success rate of attempts, how fast a destination answers and how long an
 * event takes from acceptance to its 2xx (percentiles estimated from the histograms' buckets, as Prometheus's
 * `histogram_quantile` does), events dead-lettered and the backlog still to deliver. Kept current by polling.
 */
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { html } from '../http/html.ts';
import { liveRegion, page } from './layout.ts';

/** How often the page asks for its table again. */
const REFRESH_MS = 2_000;

/** One histogram's cumulative buckets (`le` ascending, the last `+Inf`) and its count. */
export interface Buckets {
  bounds: number[];
  counts: number[];
}

/** What the metrics say of one destination. */
export interface DestinationRow {
  id: string;
  delivered: number;
  deadLettered: number;
  backlog: number;
  /** Attempts by outcome label (`2xx`, `5xx`, `timeout`, …). */
  attempts: Record<string, number>;
  /** Answer time of attempts, seconds. */
  response: Buckets;
  /** Acceptance to 2xx, seconds. */
  latency: Buckets;
}

interface MetricJson {
  name: string;
  values: { labels: Record<string, string | number>; value: number; metricName?: string }[];
}

/**
 * The `q`-quantile (0–1) of a cumulative histogram, interpolated linearly inside its bucket; `undefined` when it is
 * empty. A quantile in the `+Inf` bucket answers the highest finite bound.
 */
export function quantile(q: number, { bounds, counts }: Buckets): number | undefined {
  const total = counts.at(-1) ?? 0;
  if (total === 0) return undefined;
  const rank = q * total;
  for (let i = 0; i < bounds.length; i++) {
    if (counts[i]! < rank) continue;
    if (!Number.isFinite(bounds[i]!)) return bounds[i - 1] ?? 0;
    const lower = i === 0 ? 0 : bounds[i - 1]!;
    const below = i === 0 ? 0 : counts[i - 1]!;
    const inBucket = counts[i]! - below;
    return inBucket === 0 ? bounds[i]! : lower + ((bounds[i]! - lower) * (rank - below)) / inBucket;
  }
  return bounds.at(-2);
}

/** Every destination the `herald_delivery_*` metrics of a registry know, by id. */
export async function destinationRows(registry: Registry): Promise<DestinationRow[]> {
  const metrics = (await registry.getMetricsAsJSON()) as unknown as MetricJson[];
  const rows = new Map<string, DestinationRow>();
  const row = (id: string) => {
    let found = rows.get(id);
    if (found === undefined) {
      found = { id, delivered: 0, deadLettered: 0, backlog: 0, attempts: {}, response: { bounds: [], counts: [] }, latency: { bounds: [], counts: [] } };
      rows.set(id, found);
    }
    return found;
  };
  for (const metric of metrics) {
    if (!metric.name.startsWith('herald_delivery_')) continue;
    for (const { labels, value, metricName } of metric.values) {
      if (labels.destination === undefined) continue;
      const r = row(String(labels.destination));
      switch (metric.name) {
        case 'herald_delivery_delivered_total': r.delivered += value; break;
        case 'herald_delivery_dead_lettered_total': r.deadLettered += value; break;
        case 'herald_delivery_backlog': r.backlog += value; break;
        case 'herald_delivery_attempts_total': r.attempts[String(labels.outcome)] = (r.attempts[String(labels.outcome)] ?? 0) + value; break;
        case 'herald_delivery_response_seconds':
        case 'herald_delivery_latency_seconds':
          if (metricName?.endsWith('_bucket')) {
            const buckets = metric.name === 'herald_delivery_response_seconds' ? r.response : r.latency;
            buckets.bounds.push(labels.le === '+Inf' ? Infinity : Number(labels.le));
            buckets.counts.push(value);
          }
          break;
      }
    }
  }
  return [...rows.values()].sort((a, b) => a.id.localeCompare(b.id));
}

const ms = (seconds: number | undefined) => (seconds === undefined ? '–' : (seconds * 1000).toFixed(seconds < 0.1 ? 1 : 0));
const n = (value: number) => value.toLocaleString('en-US');

/** The destinations' table (the page's live region). */
function destinationsTable(rows: DestinationRow[]) {
  if (rows.length === 0) return html`<p class="muted">No destinations in this process (delivery is not running here).</p>`;
  return html`<table id="destinations"><thead><tr><th>destination</th><th class="n">delivered</th><th class="n">attempts</th>
<th class="n">success</th><th>failed attempts</th><th class="n">answer p50 / p99 ms</th><th class="n">accepted → delivered p50 / p99 ms</th>
<th class="n">dead-lettered</th><th class="n">backlog</th></tr></thead><tbody>${rows.map((r) => {
    const total = Object.values(r.attempts).reduce((sum, v) => sum + v, 0);
    const ok = r.attempts['2xx'] ?? 0;
    const failures = Object.entries(r.attempts).filter(([outcome, count]) => outcome !== '2xx' && count > 0);
    return html`<tr data-destination="${r.id}"><td>${r.id}</td><td class="n">${n(r.delivered)}</td><td class="n">${n(total)}</td>
<td class="n success">${total === 0 ? '–' : `${((ok / total) * 100).toFixed(1)}%`}</td>
<td class="failures">${failures.length === 0 ? '–' : failures.map(([outcome, count]) => `${outcome} ${n(count)}`).join(' · ')}</td>
<td class="n">${ms(quantile(0.5, r.response))} / ${ms(quantile(0.99, r.response))}</td>
<td class="n">${ms(quantile(0.5, r.latency))} / ${ms(quantile(0.99, r.latency))}</td>
<td class="n">${n(r.deadLettered)}</td><td class="n backlog">${n(r.backlog)}</td></tr>`;
  })}</tbody></table>`;
}

export function registerDestinationPage(app: FastifyInstance, registry: Registry): void {
  app.get<{ Querystring: { fragment?: string } }>(
    '/destinations',
    { schema: { summary: 'console: delivery’s destinations, their health and backlog' } },
    async (request, reply) => {
      const table = destinationsTable(await destinationRows(registry));
      reply.type('text/html; charset=utf-8');
      if (request.query.fragment !== undefined) return reply.send(table.text);
      const body = html`<p class="muted">Since this process started; refreshed every ${REFRESH_MS / 1000} s. Percentiles are
estimated from histogram buckets. Dead letters of a destination are under <a href="/console/dead-letters">Dead letters</a>.</p>
<div id="destinations-live">${table}</div>${liveRegion('destinations-live', '/console/destinations?fragment=1', REFRESH_MS)}`;
      return reply.send(page('destinations', 'Destinations', body));
    },
  );
}
