import type { FastifyInstance } from 'fastify';
import { escapeHtml } from '../html.ts';

/**
 * `GET /docs`: a page that renders `/openapi.json` — every route, its parameters, body and response schemas —
 * with nothing loaded from elsewhere (a few hundred bytes of script instead of a swagger-ui bundle: the document
 * is small and flat, and the page must work offline). `GET /`: where to start, linking the docs.
 */
export function registerDocsPage(app: FastifyInstance, pages: readonly ServicePage[] = []): void {
  app.get('/docs', { schema: { summary: 'this description, rendered' } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(PAGE));
  app.get('/', { schema: { summary: 'where to start' } }, async (request, reply) => {
    const index = {
      name: 'herald',
      docs: '/docs',
      openapi: '/openapi.json',
      health: '/healthz',
      ready: '/readyz',
      metrics: '/metrics',
      admin: '/admin/topics',
      console: '/console',
      pages: pages.map((p) => ({ title: p.title, path: p.path })),
    };
    // A browser asks for HTML first: it gets a landing page with the same links; anything else gets JSON.
    const accept = request.headers.accept ?? '';
    if (/^text\/html\b/.test(accept)) return reply.type('text/html; charset=utf-8').send(landingPage(pages));
    return index;
  });
}

/** A page a service serves for people (e.g. the bookstore's search page), linked from the landing page. */
export interface ServicePage {
  title: string;
  path: string;
}


function landingPage(pages: readonly ServicePage[]): string {
  const link = (path: string, title: string) => `<li><a href="${escapeHtml(path)}">${escapeHtml(title)}</a></li>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Herald</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#222}</style>
</head><body><h1>Herald</h1>
<h2>Services</h2><ul>${pages.map((p) => link(p.path, p.title)).join('') || '<li>no service pages</li>'}</ul>
<h2>Operate</h2><ul>${link('/console', 'Console: topics, messages, consumer groups')}</ul>
<h2>API</h2><ul>${link('/docs', 'API documentation')}${link('/openapi.json', 'OpenAPI description')}${link('/admin/topics', 'Admin: topics')}${link('/metrics', 'Metrics')}${link('/readyz', 'Readiness')}</ul>
</body></html>
`;
}

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Herald API</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem}details{border:1px solid #ddd;border-radius:4px;margin:.4rem 0;padding:.3rem .6rem}
summary{cursor:pointer;font-family:ui-monospace,monospace}.m{display:inline-block;width:4.5rem;font-weight:bold}
.get{color:#1769aa}.post{color:#2e7d32}.delete{color:#c62828}.put,.patch{color:#8d6e00}
pre{background:#f6f6f6;padding:.5rem;overflow:auto;font-size:12px}table{border-collapse:collapse}
td,th{border-bottom:1px solid #eee;padding:.15rem .6rem;text-align:left;font-family:ui-monospace,monospace}
</style></head><body>
<h1>Herald API</h1><p>From <a href="/openapi.json">/openapi.json</a>. <span id="about"></span></p><div id="routes">loading…</div>
<script>
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const json = (v) => '<pre>' + esc(JSON.stringify(v, null, 2)) + '</pre>';
fetch('/openapi.json').then((r) => r.json()).then((doc) => {
  document.getElementById('about').textContent = doc.info.description;
  let html = '';
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      html += '<details><summary><span class="m ' + method + '">' + method.toUpperCase() + '</span>' + esc(path) +
        (op.summary ? ' — ' + esc(op.summary) : '') + '</summary>';
      if (op.parameters) {
        html += '<table><tr><th>parameter</th><th>in</th><th>required</th><th>schema</th></tr>';
        for (const p of op.parameters) html += '<tr><td>' + esc(p.name) + '</td><td>' + p.in + '</td><td>' +
          (p.required ? 'yes' : '') + '</td><td>' + esc(JSON.stringify(p.schema)) + '</td></tr>';
        html += '</table>';
      }
      if (op.requestBody) html += '<p>body</p>' + json(op.requestBody.content['application/json'].schema);
      for (const [status, r] of Object.entries(op.responses)) {
        if (r.content) html += '<p>' + esc(status) + '</p>' + json(r.content['application/json'].schema);
      }
      html += '</details>';
    }
  }
  document.getElementById('routes').innerHTML = html;
}, (err) => { document.getElementById('routes').textContent = 'could not load /openapi.json: ' + err; });
</script></body></html>
`;
