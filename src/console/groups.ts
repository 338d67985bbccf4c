/** Consumer groups: every group with its members and lag; one group's partitions, its lag kept current by polling. */
import type { FastifyInstance } from 'fastify';
import type { AdminApi } from '../admin/api.ts';
import { html, Html } from '../http/html.ts';
import type { LagHistory } from './lag-history.ts';
import { page } from './layout.ts';

/** How often a group's page asks for its offsets again. */
const REFRESH_MS = 1_000;
/** The span of a group's lag chart: its last hour (as much as the process kept, then what the page saw). */
const HISTORY_MS = 3_600_000;
/** The chart spans at least this much, so that a fresh page's first seconds do not fill it. */
const MIN_SPAN_MS = 120_000;

/** The script that keeps a group's table current: it asks `/console/groups/{group}/offsets.json` and rewrites the rows. */
const LIVE = `
const table = document.getElementById('offsets');
const group = table.dataset.group;
const svg = document.getElementById('lag-history');
// What the server kept of this group (its own groups: the last hour), then a sample a second from now on.
const history = JSON.parse(svg.dataset.history);
history.push({ at: Date.now(), lag: Number(document.getElementById('lag').textContent) });
function draw() {
  const now = Date.now();
  while (history.length > 1 && history[0].at < now - ${HISTORY_MS}) history.shift();
  const first = Math.min(history[0].at, now - ${MIN_SPAN_MS});
  const max = Math.max(1, ...history.map((s) => s.lag));
  const x = (at) => (((at - first) / (now - first)) * 600).toFixed(1);
  const points = history.map((s) => x(s.at) + ',' + (58 - (s.lag / max) * 56).toFixed(1)).join(' ');
  svg.querySelector('polyline').setAttribute('points', points);
  svg.querySelector('text').textContent = 'max ' + max + ' · since ' + new Date(first).toISOString().slice(11, 19) + ' UTC';
}
draw();
async function refresh() {
  try {
    const answer = await fetch('/console/groups/' + encodeURIComponent(group) + '/offsets.json');
    if (answer.ok) {
      const info = await answer.json();
      const rows = info.offsets.map((o) => {
        const tr = document.createElement('tr');
        for (const [value, numeric] of [[o.topic, false], [o.partition, true], [o.committed ?? '–', true], [o.latest, true], [o.lag, true]]) {
          const td = document.createElement('td');
          if (numeric) td.className = 'n';
          td.textContent = String(value);
          tr.append(td);
        }
        return tr;
      });
      table.tBodies[0].replaceChildren(...rows);
      const lag = info.offsets.reduce((sum, o) => sum + o.lag, 0);
      document.getElementById('lag').textContent = String(lag);
      history.push({ at: Date.now(), lag });
      draw();
      document.getElementById('members').textContent = String(info.members.length);
    }
  } finally {
    setTimeout(refresh, ${REFRESH_MS});
  }
}
setTimeout(refresh, ${REFRESH_MS});
`;

export function registerGroupPages(app: FastifyInstance, admin: AdminApi, history: LagHistory): void {
  app.get('/groups', { schema: { summary: 'console: every consumer group' } }, async (_request, reply) => {
    const groups = await admin.listGroups();
    const body = html`<table><thead><tr><th>group</th><th class="n">members</th><th class="n">lag</th></tr></thead>
<tbody>${groups.map(
      (g) => html`<tr><td><a href="/console/groups/${encodeURIComponent(g.group)}">${g.group}</a></td>
<td class="n">${g.members}</td><td class="n">${g.lag.toLocaleString('en-US')}</td></tr>`,
    )}</tbody></table>${groups.length === 0 ? html`<p class="muted">No consumer groups yet.</p>` : ''}`;
    return reply.type('text/html; charset=utf-8').send(page('groups', 'Consumer groups', body));
  });

  app.get<{ Params: { group: string } }>(
    '/groups/:group/offsets.json',
    { schema: { summary: "console: a group's members and offsets (what its page polls)" } },
    async (request) => admin.describeGroup(request.params.group),
  );

  app.get<{ Params: { group: string } }>('/groups/:group', { schema: { summary: 'console: one group, live' } }, async (request, reply) => {
    const info = await admin.describeGroup(request.params.group);
    const lag = info.offsets.reduce((sum, o) => sum + o.lag, 0);
    const body = html`<p>members <b id="members">${info.members.length}</b> · lag <b id="lag">${lag}</b>
<span class="muted">(updated every second)</span></p>
<svg id="lag-history" data-history="${JSON.stringify(history.of(info.group))}" width="600" height="60" viewBox="0 0 600 60" style="background:#fff;border:1px solid #e3e6ec">
<polyline fill="none" stroke="#1769aa" stroke-width="2" points=""></polyline><text x="4" y="12" font-size="10" fill="#6b7385"></text></svg>
<table id="offsets" data-group="${info.group}"><thead><tr><th>topic</th><th class="n">partition</th>
<th class="n">committed</th><th class="n">latest</th><th class="n">lag</th></tr></thead><tbody>${info.offsets.map(
      (o) => html`<tr><td>${o.topic}</td><td class="n">${o.partition}</td><td class="n">${o.committed ?? '–'}</td>
<td class="n">${o.latest}</td><td class="n">${o.lag}</td></tr>`,
    )}</tbody></table>
<h2>members</h2><table><thead><tr><th>member</th><th>client</th><th>partitions</th></tr></thead><tbody>${info.members.map(
      (m) => html`<tr><td>${m.memberId}</td><td>${m.clientId}</td>
<td>${m.assignment.map((a) => `${a.topic}/${a.partition}`).join(', ')}</td></tr>`,
    )}</tbody></table><script>${new Html(LIVE)}</script>`;
    return reply.type('text/html; charset=utf-8').send(page('groups', info.group, body));
  });
}
