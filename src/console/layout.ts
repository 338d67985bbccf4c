/** The console's page shell: one stylesheet inline, the navigation, nothing loaded from elsewhere. */
import { Html, html } from '../http/html.ts';

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1.4rem;align-items:baseline}
header a{color:#cfd8ea;text-decoration:none}header a.here{color:#fff;font-weight:600}
header strong{font-size:1.05rem;margin-right:.6rem}
main{padding:1rem 1.2rem;max-width:1200px}
table{border-collapse:collapse;background:#fff;width:100%;margin:.6rem 0 1.2rem}
th,td{border-bottom:1px solid #e3e6ec;padding:.35rem .6rem;text-align:left;vertical-align:top}
th{background:#eef1f6;font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
pre{background:#fff;border:1px solid #e3e6ec;padding:.7rem;overflow:auto;max-height:28rem}
.muted{color:#6b7385}form.inline{display:flex;gap:.5rem;align-items:end;flex-wrap:wrap;margin:.4rem 0}
label{display:flex;flex-direction:column;font-size:.85rem;color:#444}
input,select,button{font:inherit;padding:.25rem .4rem}
`;

/** The sections of the console, in navigation order. */
const SECTIONS = [
  ['topics', '/console/topics', 'Topics'],
  ['groups', '/console/groups', 'Consumer groups'],
  ['handlers', '/console/handlers', 'Handlers'],
  ['destinations', '/console/destinations', 'Destinations'],
  ['processors', '/console/processors', 'Processors'],
  ['dead-letters', '/console/dead-letters', 'Dead letters'],
  ['journey', '/console/journey', 'Journey'],
  ['audit', '/console/audit', 'Audit'],
] as const;

export type Section = (typeof SECTIONS)[number][0];

/** A whole console page. */
export function page(section: Section | undefined, title: string, body: Html): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title} · Herald console</title><style>${new Html(STYLE)}</style></head>
<body><header><strong>Herald</strong>${SECTIONS.map(
    ([name, path, label]) => html`<a href="${path}" class="${name === section ? 'here' : ''}">${label}</a>`,
  )}<a href="/docs">API</a></header>
<main><h1>${title}</h1>${body}</main></body></html>`.text;
}

/**
 * An element kept current without reloading the page: every `everyMs` its contents are replaced by what `url`
 * answers (an HTML fragment rendered by the same code as the page). Stops asking while the tab is hidden.
 */
export function liveRegion(id: string, url: string, everyMs: number): Html {
  const script = `(() => {
  const region = document.getElementById(${JSON.stringify(id)});
  async function refresh() {
    if (document.hidden) return;
    try {
      const answer = await fetch(${JSON.stringify(url)}, { headers: { accept: 'text/html' } });
      if (answer.ok) { region.innerHTML = await answer.text(); region.dataset.refreshed = String(Date.now()); }
    } catch {}
  }
  setInterval(refresh, ${everyMs});
})();`;
  return html`<script>${new Html(script)}</script>`;
}
