/** The application view of stateful processing: each processor's partitions (table size, input lag, restore) and each view. */
import type { FastifyInstance } from 'fastify';
import type { AdminApi } from '../admin/api.ts';
import { isHeraldError } from '../errors.ts';
import { html } from '../http/html.ts';
import { page } from './layout.ts';

export function registerProcessorPages(app: FastifyInstance, admin: AdminApi): void {
  app.get('/processors', { schema: { summary: 'console: processors and views' } }, async (_request, reply) => {
    let overview;
    try {
      overview = await admin.processors();
    } catch (err) {
      if (!isHeraldError(err) || err.code !== 'HERALD_NOT_FOUND') throw err;
      overview = { processors: [], views: [] };
    }
    const body = html`<table id="processors"><thead><tr><th>group</th><th>guarantee</th><th>state</th><th class="n">partitions</th>
<th class="n">table keys</th><th class="n">input lag</th><th>restoring</th><th>standby</th></tr></thead><tbody>${overview.processors.map((p) => {
      const keys = p.partitions.reduce((sum, x) => sum + x.tableKeys, 0);
      const lag = p.partitions.reduce((sum, x) => sum + (x.lag ?? 0), 0);
      const restoring = p.partitions.filter((x) => x.restore !== undefined && x.restore.position < x.restore.end);
      return html`<tr><td>${p.group}</td><td>${p.guarantee}</td><td>${p.state}</td><td class="n">${p.partitions.map((x) => x.partition).join(', ')}</td>
<td class="n">${keys.toLocaleString('en-US')}</td><td class="n">${lag.toLocaleString('en-US')}</td>
<td>${restoring.map((x) => `${x.partition}: ${x.restore!.position - x.restore!.from} of ${x.restore!.end - x.restore!.from}`).join('; ') || '–'}</td>
<td>${p.standby.join(', ') || '–'}</td></tr>`;
    })}</tbody></table>${overview.processors.length === 0 ? html`<p class="muted">No processors run in this process.</p>` : ''}
<h2>views</h2><table id="views"><thead><tr><th>table</th><th>caught up</th><th class="n">lag</th><th>partitions (position / end)</th></tr></thead>
<tbody>${overview.views.map(
      (v) => html`<tr><td>${v.table}</td><td>${v.caughtUp ? 'yes' : 'no'}</td><td class="n">${v.lag}</td>
<td>${v.partitions.map((x) => `${x.partition}: ${x.position}/${x.end}`).join(', ')}</td></tr>`,
    )}</tbody></table>`;
    return reply.type('text/html; charset=utf-8').send(page('processors', 'Processors', body));
  });
}
