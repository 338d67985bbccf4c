/**
 * The web console at `/console`: server-rendered pages over the same {@link AdminApi} as `/admin` and the CLI (so
 * the three cannot drift apart), the process's metrics and its kept traces. The broker view — topics, a message
 * browser, one message, consumer groups with their lag kept current; the application view — handlers, processors
 * and views, dead letters with their replay, an event's journey. Actions (create, produce, delete, replay) are form
 * posts guarded against cross-site forgery and kept in an audit. Same access rule as `/admin`, with a sign-in form
 * and a session cookie when a token is set.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AdminApi } from '../admin/api.ts';
import { errorAnswer, sendError } from '../http/errors.ts';
import type { GuardSettings } from '../http/guard.ts';
import { html } from '../http/html.ts';
import type { RecentTraces } from '../telemetry/recent-traces.ts';
import { ConsoleAudit } from './audit.ts';
import { page } from './layout.ts';
import { CsrfGuard } from './csrf.ts';
import { registerDeadLetterPages } from './dead-letters.ts';
import { registerDestinationPage } from './destinations.ts';
import { registerGroupPages } from './groups.ts';
import { LagHistory } from './lag-history.ts';
import { registerHandlerPage } from './handlers.ts';
import { registerJourneyPage } from './journey.ts';
import { registerProcessorPages } from './processors.ts';
import { ConsoleSessions } from './session.ts';
import { registerTopicActions } from './topic-actions.ts';
import { registerTopicPages } from './topics.ts';
import type { CodecLookup } from './values.ts';

export interface ConsoleOptions extends GuardSettings {
  admin: AdminApi;
  logger?: Logger;
  /** Aborted when the server stops: a long action (a replay) ends early and reports what it did. */
  stopping?: AbortSignal;
  /** The traces this process keeps, for an event's journey; `undefined` when none are kept. */
  traces?: RecentTraces;
  /** The codec of a topic's values when this process knows it (its processors', views' and emitters'). */
  codecOf?: CodecLookup;
  /** The process's metrics, for the handlers page. */
  metrics: Registry;
}

/** Form posts (the console's actions) as an object of their fields. */
function parseForm(_request: FastifyRequest, body: string, done: (err: Error | null, body?: unknown) => void): void {
  done(null, Object.fromEntries(new URLSearchParams(body)));
}

/** An error as a page for a browser (the code and message, and a way back), as Herald's envelope for anything else. */
function answerError(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (!/^text\/html\b/.test(request.headers.accept ?? '')) return sendError(err, request, reply);
  const { herald, status, message } = errorAnswer(err, request);
  const body = html`<p id="error"><b>${herald.code}</b> ${message}</p><p><a href="javascript:history.back()">← back</a></p>`;
  return reply.status(status).type('text/html; charset=utf-8').send(page(undefined, 'That did not work', body));
}

export function registerConsole(app: FastifyInstance, options: ConsoleOptions): void {
  const csrf = new CsrfGuard();
  const sessions = new ConsoleSessions(options);
  const audit = new ConsoleAudit(options.logger);
  const lagHistory = new LagHistory(options.metrics);
  app.addHook('onClose', async () => lagHistory.stop());
  const who = (request: FastifyRequest) =>
    `${request.socket.remoteAddress ?? 'unknown'}${options.adminToken === '' ? '' : ' (with the admin token)'}`;
  app.register(
    async (console) => {
      console.addHook('onRequest', sessions.guard);
      console.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, parseForm);
      console.setErrorHandler(answerError);
      console.get('', { schema: { summary: 'the web console' } }, async (_request, reply) => reply.redirect('/console/topics'));
      sessions.register(console);
      registerTopicPages(console, options.admin, csrf, options.codecOf);
      registerTopicActions(console, { admin: options.admin, csrf, audit, who });
      registerGroupPages(console, options.admin, lagHistory);
      registerHandlerPage(console, options.metrics);
      registerDestinationPage(console, options.metrics);
      registerProcessorPages(console, options.admin);
      registerJourneyPage(console, options.traces);
      registerDeadLetterPages(console, { admin: options.admin, csrf, audit, who, stopping: options.stopping });
    },
    { prefix: '/console' },
  );
}
