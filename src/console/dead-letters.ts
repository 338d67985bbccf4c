/**
 * Dead letters: every dead-letter topic with its count; a topic's dead letters with their envelope (origin, error,
 * attempts, times, whether replayed); replaying one, or all matching a key, with a dry run, a rate and the loop guard
 * of the admin API (one replayed before is skipped unless `again`). Each replay is a form post (CSRF-guarded) and is
 * recorded in the audit.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AdminApi } from '../admin/api.ts';
import type { DeadLetterView } from '../admin/dead-letter-view.ts';
import type { ReplayOptions, ReplayReport } from '../admin/dead-letters.ts';
import { HeraldError } from '../errors.ts';
import { html } from '../http/html.ts';
import type { ConsoleAudit } from './audit.ts';
import type { CsrfGuard } from './csrf.ts';
import { page } from './layout.ts';

/** Dead letters one page shows. */
const PAGE_SIZE = 50;

export interface DeadLetterPagesOptions {
  admin: AdminApi;
  csrf: CsrfGuard;
  audit: ConsoleAudit;
  /** Who made a request, for the audit. */
  who(request: FastifyRequest): string;
  /** Aborted when the server stops: a replay ends early and reports what it did. */
  stopping?: AbortSignal;
}

type ReplayForm = Record<string, string | undefined>;

const topicPath = (topic: string) => `/console/dead-letters/${encodeURIComponent(topic)}`;

/** The replay options a form asks for. @throws HeraldError `HERALD_VALIDATION_FAILED` for a bad number. */
export function replayOptions(form: ReplayForm): ReplayOptions {
  const number = (name: string) => {
    const text = form[name]?.trim();
    if (text === undefined || text === '') return undefined;
    if (!/^\d+$/.test(text)) throw new HeraldError('HERALD_VALIDATION_FAILED', `${name} must be a whole number`);
    return Number(text);
  };
  const options: ReplayOptions = { dryRun: form.dryRun === 'on', again: form.again === 'on' };
  if (form.key) options.key = form.key;
  const offset = number('offset');
  const partition = number('partition');
  if (offset !== undefined && partition !== undefined) {
    // One dead letter: from its position, the first match only.
    options.cursor = new Map([[partition, offset]]);
    options.limit = 1;
  }
  const rate = number('ratePerSecond');
  if (rate !== undefined && rate > 0) options.ratePerSecond = rate;
  return options;
}

function letterRow(topic: string, letter: DeadLetterView, csrf: CsrfGuard) {
  return html`<tr><td class="n">${letter.dlq.partition}/${letter.dlq.offset}</td><td>${letter.key ?? '(null)'}</td>
<td>${letter.origin.topic} ${letter.origin.partition}/${letter.origin.offset}</td><td>${letter.group}</td>
<td><b>${letter.error.code}</b> ${letter.error.message}</td><td class="n">${letter.attempts}</td>
<td>${letter.dlq.deadLetteredAt}</td><td>${letter.replayed ? `${letter.replayed.count}× (last ${letter.replayed.lastAt})` : 'no'}</td>
<td><form method="post" action="${topicPath(topic)}/replay">${csrf.field()}
<input type="hidden" name="partition" value="${letter.dlq.partition}"><input type="hidden" name="offset" value="${letter.dlq.offset}">
<label><span><input type="checkbox" name="dryRun"> dry run</span></label>
<label><span><input type="checkbox" name="again"> again</span></label><button>Replay</button></form></td></tr>`;
}

function reportBody(topic: string, report: ReplayReport) {
  const cancelled = report.cancelled ? html`<p>Stopped early: ${report.cancelled.reason}.</p>` : '';
  const count = report.dryRun ? report.matched - report.skipped : report.replayed;
  const summary = `${report.dryRun ? 'Dry run: would replay' : 'Replayed'} ${count} of ${report.matched} matching; skipped ${report.skipped}.`;
  return html`<p id="report">${summary}</p>${cancelled}
${report.skippedRecords.length > 0 ? html`<ul>${report.skippedRecords.map((s) => html`<li>${s.partition}/${s.offset}: ${s.reason}</li>`)}</ul>` : ''}
<p><a href="${topicPath(topic)}">← ${topic}</a></p>`;
}

export function registerDeadLetterPages(app: FastifyInstance, options: DeadLetterPagesOptions): void {
  const { admin, csrf, audit } = options;
  app.get('/dead-letters', { schema: { summary: 'console: dead-letter topics' } }, async (_request, reply) => {
    const topics = await admin.deadLetterTopics();
    const body = html`<table><thead><tr><th>dead-letter topic</th><th class="n">records</th></tr></thead><tbody>${topics.map(
      (t) => html`<tr><td><a href="${topicPath(t.topic)}">${t.topic}</a></td><td class="n">${t.records}</td></tr>`,
    )}</tbody></table>${topics.length === 0 ? html`<p class="muted">No dead-letter topics.</p>` : ''}`;
    return reply.type('text/html; charset=utf-8').send(page('dead-letters', 'Dead letters', body));
  });

  app.get<{ Params: { topic: string }; Querystring: { key?: string } }>(
    '/dead-letters/:topic',
    { schema: { summary: 'console: the dead letters of a topic', querystring: { type: 'object', properties: { key: { type: 'string' } } } } },
    async (request, reply) => {
      const { topic } = request.params;
      const key = request.query.key || undefined;
      const found = await admin.deadLetters(topic, { key, limit: PAGE_SIZE, maxBytes: 1_048_576 });
      const body = html`<form class="inline" method="get"><label>key<input name="key" value="${key ?? ''}"></label><button>Filter</button></form>
<form class="inline" method="post" action="${topicPath(topic)}/replay">${csrf.field()}<input type="hidden" name="key" value="${key ?? ''}">
<label>rate / s<input name="ratePerSecond" size="6" placeholder="unlimited"></label>
<label><span><input type="checkbox" name="dryRun" checked> dry run</span></label>
<label><span><input type="checkbox" name="again"> again</span></label>
<button id="replay-all">Replay all${key ? ` with key ${key}` : ''}</button></form>
<table id="dead-letters"><thead><tr><th class="n">at</th><th>key</th><th>origin</th><th>group</th><th>error</th>
<th class="n">attempts</th><th>dead-lettered</th><th>replayed</th><th></th></tr></thead>
<tbody>${found.deadLetters.map((letter) => letterRow(topic, letter, csrf))}</tbody></table>
${found.deadLetters.length === 0 ? html`<p class="muted">No dead letters here.</p>` : ''}`;
      return reply.type('text/html; charset=utf-8').send(page('dead-letters', topic, body));
    },
  );

  app.post<{ Params: { topic: string }; Body: ReplayForm }>(
    '/dead-letters/:topic/replay',
    { schema: { summary: 'console: replay dead letters (a form post)' } },
    async (request, reply) => {
      const { topic } = request.params;
      const form = (request.body ?? {}) as ReplayForm;
      csrf.check(request, form.csrf);
      const replay = replayOptions(form);
      const what = replay.limit === 1 ? `${topic} ${form.partition}/${form.offset}` : `${topic}${replay.key ? ` key ${replay.key}` : ''}`;
      let report: ReplayReport;
      try {
        report = await admin.replay(topic, replay, options.stopping);
      } catch (err) {
        audit.record({ who: options.who(request), action: replay.dryRun ? 'replay (dry run)' : 'replay', target: what, outcome: `failed: ${(err as Error).message}` });
        throw err;
      }
      audit.record({
        who: options.who(request),
        action: replay.dryRun ? 'replay (dry run)' : 'replay',
        target: what,
        outcome: `matched ${report.matched}, replayed ${report.replayed}, skipped ${report.skipped}`,
      });
      return reply.type('text/html; charset=utf-8').send(page('dead-letters', `Replay: ${topic}`, reportBody(topic, report)));
    },
  );

  app.get('/audit', { schema: { summary: 'console: what was done through it' } }, async (_request, reply) => {
    const entries = audit.entries();
    const body = html`<table id="audit"><thead><tr><th>when (UTC)</th><th>who</th><th>action</th><th>target</th><th>outcome</th></tr></thead>
<tbody>${entries.map((e) => html`<tr><td>${e.at}</td><td>${e.who}</td><td>${e.action}</td><td>${e.target}</td><td>${e.outcome}</td></tr>`)}</tbody></table>
${entries.length === 0 ? html`<p class="muted">Nothing done through the console yet.</p>` : ''}`;
    return reply.type('text/html; charset=utf-8').send(page('audit', 'Audit', body));
  });
}
