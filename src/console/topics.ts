/** The broker view: every topic with its partitions and offsets, and one topic's messages, newest first or from an offset. */
import type { FastifyInstance } from 'fastify';
import type { AdminApi } from '../admin/api.ts';
import { parseCursor, parseStart } from '../admin/positions.ts';
import type { RecordView } from '../admin/records.ts';
import type { TopicStorage } from '../broker/port.ts';
import { Html, html } from '../http/html.ts';
import type { CsrfGuard } from './csrf.ts';
import { page } from './layout.ts';
import { type CodecLookup, previewValue, type ShownValue, showValue } from './values.ts';

/** Most messages one page of the browser shows. */
const PAGE_SIZE = 50;
/** How often "follow live" asks for new messages. */
const FOLLOW_MS = 1_000;
/** Most messages read to find the newest of a topic's partitions. */
const NEWEST_READ = 1_000;

const records = (partitions: { earliest: number; latest: number }[]) =>
  partitions.reduce((sum, p) => sum + (p.latest - p.earliest), 0);

const when = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

/** Bytes for people: B, KiB, MiB, GiB. */
export function size(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** A topic's retention for people: by time and by size, or unlimited. */
function retention({ retentionMs, retentionBytes }: TopicStorage): string {
  const parts = [
    retentionMs === null ? undefined : `${retentionMs % 3_600_000 === 0 ? `${retentionMs / 3_600_000} h` : `${retentionMs} ms`}`,
    retentionBytes === null ? undefined : `${size(retentionBytes)} a partition`,
  ].filter((p) => p !== undefined);
  return parts.length === 0 ? 'unlimited' : parts.join(', ');
}

/** A message's value with what it was read as. */
const valueSection = ({ text, format }: ShownValue) =>
  html`<h2>value <span id="format" class="muted">${format}</span></h2><pre id="value">${text}</pre>`;

/** The script behind "follow live": while checked, asks for what came after the newest shown, every second. */
const FOLLOW = `
const table = document.getElementById('messages');
const follow = document.getElementById('follow');
async function poll() {
  try {
    if (!follow.checked) return;
    const query = new URLSearchParams({ cursor: table.dataset.next });
    if (table.dataset.key) query.set('key', table.dataset.key);
    const answer = await fetch(table.dataset.tail + '?' + query);
    if (!answer.ok) return;
    const page = await answer.json();
    table.dataset.next = page.next;
    for (const r of page.records) {
      const tr = document.createElement('tr');
      const cells = [[r.partition, 'n'], [r.offset, 'n', r.link], [r.time], [r.key ?? 'null'], [r.value, '', r.link]];
      for (const [text, cls, link] of cells) {
        const td = document.createElement('td');
        if (cls) td.className = cls;
        const holder = link ? td.appendChild(Object.assign(document.createElement('a'), { href: link })) : td;
        holder.textContent = String(text);
        tr.append(td);
      }
      table.tBodies[0].prepend(tr);
    }
  } finally {
    setTimeout(poll, ${FOLLOW_MS});
  }
}
setTimeout(poll, ${FOLLOW_MS});
`;

export function registerTopicPages(app: FastifyInstance, admin: AdminApi, csrf: CsrfGuard, codecOf: CodecLookup = () => undefined): void {
  app.get<{ Params: { name: string }; Querystring: { cursor: string; key?: string } }>(
    '/topics/:name/tail.json',
    {
      schema: {
        summary: 'console: the messages after a cursor (what "follow live" asks for)',
        querystring: { type: 'object', required: ['cursor'], properties: { cursor: { type: 'string' }, key: { type: 'string' } } },
      },
    },
    async (request) => {
      const { name } = request.params;
      const found = await admin.read({
        topic: name,
        cursor: parseCursor(request.query.cursor),
        key: request.query.key || undefined,
        limit: PAGE_SIZE,
        maxBytes: 1_048_576,
      });
      const records = found.records.map((r) => ({
        partition: r.partition,
        offset: r.offset,
        time: when(r.timestamp),
        key: r.key,
        value: previewValue(r, codecOf(name)),
        link: `/console/topics/${encodeURIComponent(name)}/messages/${r.partition}/${r.offset}`,
      }));
      return { records, next: found.next };
    },
  );

  app.get<{ Querystring: { q?: string } }>('/topics', { schema: { summary: 'console: every topic (or those whose name holds `q`)' } }, async (request, reply) => {
    const q = request.query.q?.trim() ?? '';
    const all = await admin.listTopics();
    const topics = q === '' ? all : all.filter((t) => t.name.toLowerCase().includes(q.toLowerCase()));
    const body = html`<form class="inline" method="get"><label>name contains<input name="q" value="${q}"></label><button>Filter</button>
<span class="muted">${topics.length === all.length ? `${all.length} topics` : `${topics.length} of ${all.length} topics`}</span></form>
<table id="topics"><thead><tr><th>topic</th><th class="n">partitions</th><th class="n">records</th>
<th>cleanup</th></tr></thead><tbody>${topics.map(
      (t) => html`<tr><td><a href="/console/topics/${encodeURIComponent(t.name)}">${t.name}</a></td>
<td class="n">${t.partitions.length}</td><td class="n">${records(t.partitions).toLocaleString('en-US')}</td>
<td>${t.compacted ? 'compact' : 'delete'}</td></tr>`,
    )}</tbody></table>${topics.length === 0 ? html`<p class="muted">No topics yet.</p>` : ''}
<h2>new topic</h2><form id="create" class="inline" method="post" action="/console/topics">${csrf.field()}
<label>name<input name="name" required pattern="[A-Za-z0-9._-]+"></label><label>partitions<input name="partitions" value="1" size="4"></label>
<label><span><input type="checkbox" name="compacted"> compacted</span></label><button>Create</button></form>`;
    return reply.type('text/html; charset=utf-8').send(page('topics', 'Topics', body));
  });

  app.get<{ Params: { name: string }; Querystring: { partition?: string; offset?: string; cursor?: string; key?: string } }>(
    '/topics/:name',
    {
      schema: {
        summary: 'console: a topic and its messages',
        querystring: {
          type: 'object',
          properties: {
            partition: { type: 'string', pattern: '^\\d{0,5}$' },
            offset: { type: 'string' },
            cursor: { type: 'string' },
            key: { type: 'string' },
          },
        },
      },
    },
    async (request, reply) => {
      const { name } = request.params;
      const [info, storage] = await Promise.all([admin.describeTopic(name), admin.topicStorage(name)]);
      const partition = request.query.partition === undefined || request.query.partition === '' ? undefined : Number(request.query.partition);
      const offset = request.query.offset?.trim() || `-${PAGE_SIZE}`;
      const start = parseStart(offset);
      const cursor = request.query.cursor ? parseCursor(request.query.cursor) : undefined;
      // Newest first (`-N`): the last N of every partition are read forward, and the newest N of them shown the
      // other way round (at most NEWEST_READ read, so a topic of many partitions stays cheap).
      const newestFirst = start.kind === 'last' && cursor === undefined;
      const partitions = partition === undefined ? info.partitions.length : 1;
      const limit = newestFirst ? Math.min(start.count * partitions, NEWEST_READ) : PAGE_SIZE;
      const key = request.query.key || undefined;
      const found = await admin.read({ topic: name, partition, key, start, cursor, limit, maxBytes: 1_048_576 });
      const shown = newestFirst ? found.records.slice(-start.count).reverse() : found.records;
      const link = (r: RecordView) => `/console/topics/${encodeURIComponent(name)}/messages/${r.partition}/${r.offset}`;
      const codec = codecOf(name);
      const bytesOf = new Map(storage.partitions.map((p) => [p.partition, p.bytes]));
      const body = html`<p id="settings">${info.compacted ? 'compacted' : 'cleanup: delete'} · retention ${retention(storage)}
· ${size(storage.partitions.reduce((sum, p) => sum + p.bytes, 0))} stored${Object.entries(storage.configs).map(([k, v]) => html` · <span class="muted">${k}=${v}</span>`)}</p>
<table id="partitions"><thead><tr><th class="n">partition</th><th class="n">earliest</th><th class="n">latest</th>
<th class="n">records</th><th class="n">size</th></tr></thead><tbody>${info.partitions.map(
        (p) => html`<tr><td class="n">${p.partition}</td><td class="n">${p.earliest}</td><td class="n">${p.latest}</td>
<td class="n">${(p.latest - p.earliest).toLocaleString('en-US')}</td><td class="n">${size(bytesOf.get(p.partition) ?? 0)}</td></tr>`,
      )}</tbody></table>
<form class="inline" method="get"><label>partition<select name="partition"><option value="">all</option>${info.partitions.map(
        (p) => html`<option value="${p.partition}" ${partition === p.partition ? html`selected` : ''}>${p.partition}</option>`,
      )}</select></label><label>from<input name="offset" value="${offset}" size="14"
title="beginning, end, an offset N, -N (N before the end) or @time"></label><label>key<input name="key" value="${key ?? ''}"></label>
<button>Show</button></form>
${newestFirst ? html`<p><label><span><input type="checkbox" id="follow"> follow live (new messages appear on top)</span></label></p>` : ''}
<table id="messages" data-next="${found.next}" data-tail="/console/topics/${encodeURIComponent(name)}/tail.json" data-key="${key ?? ''}"><thead><tr><th class="n">partition</th><th class="n">offset</th><th>time (UTC)</th><th>key</th><th>value</th></tr></thead>
<tbody>${shown.map(
        (r) => html`<tr><td class="n">${r.partition}</td><td class="n"><a href="${link(r)}">${r.offset}</a></td>
<td>${when(r.timestamp)}</td><td>${r.key ?? html`<span class="muted">null</span>`}</td>
<td><a href="${link(r)}">${previewValue(r, codec)}</a></td></tr>`,
      )}</tbody></table>${shown.length === 0 ? html`<p class="muted">No messages here.</p>` : ''}
${newestFirst ? html`<script>${new Html(FOLLOW)}</script>` : ''}
${found.more && !newestFirst ? html`<p><a href="?${new URLSearchParams({ cursor: found.next, ...(key === undefined ? {} : { key }) })}">More…</a></p>` : ''}
<h2>produce a message</h2><form id="produce" method="post" action="/console/topics/${encodeURIComponent(name)}/messages">${csrf.field()}
<div class="inline"><label>key<input name="key"></label><label>partition<input name="partition" size="4" placeholder="by key"></label></div>
<label>value<textarea name="value" rows="4" cols="80"></textarea></label><label>headers (name: value, one a line)<textarea name="headers" rows="2" cols="80"></textarea></label>
<button>Produce</button></form>
<h2>delete</h2><form id="delete" class="inline" method="post" action="/console/topics/${encodeURIComponent(name)}/delete">${csrf.field()}
<label>type ${name} to delete it with its records<input name="confirm"></label><button>Delete</button></form>`;
      return reply.type('text/html; charset=utf-8').send(page('topics', name, body));
    },
  );

  app.get<{ Params: { name: string; partition: string; offset: string } }>(
    '/topics/:name/messages/:partition/:offset',
    {
      schema: {
        summary: 'console: one message',
        params: {
          type: 'object',
          properties: {
            name: { type: 'string' },
            partition: { type: 'string', pattern: '^\\d{1,5}$' },
            offset: { type: 'string', pattern: '^\\d{1,15}$' },
          },
        },
      },
    },
    async (request, reply) => {
      const { name } = request.params;
      const partition = Number(request.params.partition);
      const offset = Number(request.params.offset);
      const found = await admin.read({ topic: name, partition, start: { kind: 'offset', offset }, limit: 1 });
      const record = found.records.find((r) => r.offset === offset);
      const body =
        record === undefined
          ? html`<p>No message at partition ${partition}, offset ${offset} (removed by retention or compaction?).</p>`
          : html`<table><tbody><tr><th>partition / offset</th><td>${partition} / ${offset}</td></tr>
<tr><th>time (UTC)</th><td>${when(record.timestamp)}</td></tr><tr><th>key</th><td>${record.key ?? '(null)'}</td></tr>
${Object.entries(record.headers).map(([k, v]) => html`<tr><th>header ${k}</th><td>${v}</td></tr>`)}</tbody></table>
${valueSection(showValue(record, codecOf(name)))}`;
      const back = html`<p><a href="/console/topics/${encodeURIComponent(name)}">← ${name}</a></p>`;
      return reply
        .type('text/html; charset=utf-8')
        .send(page('topics', `${name} · ${partition}/${offset}`, html`${back}${body}`));
    },
  );
}
