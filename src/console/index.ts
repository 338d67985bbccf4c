/**
 * The web console at `/console`: server-rendered pages over the same {@link AdminApi} as `/admin` and the CLI, so
 * the three cannot drift apart. This first part is the broker view — topics with their partitions and offsets, a
 * message browser (newest first, or from an offset, a time or a cursor, by partition), one message with its headers
 * and its value pretty-printed, consumer groups with their lag kept current — and dead letters with their replay,
 * each action guarded against cross-site forgery and kept in an audit. Same access rule as `/admin`, with a sign-in
 * form and a session cookie when a token is set.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { AdminApi } from '../admin/api.ts';
import type { GuardSettings } from '../http/guard.ts';
import type { RecentTraces } from '../telemetry/recent-traces.ts';
import { ConsoleAudit } from './audit.ts';
import { CsrfGuard } from './csrf.ts';
import { registerDeadLetterPages } from './dead-letters.ts';
import { registerGroupPages } from './groups.ts';
import { registerJourneyPage } from './journey.ts';
import { registerProcessorPages } from './processors.ts';
import { ConsoleSessions } from './session.ts';
import { registerTopicPages } from './topics.ts';

export interface ConsoleOptions extends GuardSettings {
  admin: AdminApi;
  logger?: Logger;
  /** Aborted when the server stops: a long action (a replay) ends early and reports what it did. */
  stopping?: AbortSignal;
  /** The traces this process keeps, for an event's journey; `undefined` when none are kept. */
  traces?: RecentTraces;
}

/** Form posts (the console's actions) as an object of their fields. */
function parseForm(_request: FastifyRequest, body: string, done: (err: Error | null, body?: unknown) => void): void {
  done(null, Object.fromEntries(new URLSearchParams(body)));
}

export function registerConsole(app: FastifyInstance, options: ConsoleOptions): void {
  const csrf = new CsrfGuard();
  const sessions = new ConsoleSessions(options);
  const audit = new ConsoleAudit(options.logger);
  const who = (request: FastifyRequest) =>
    `${request.socket.remoteAddress ?? 'unknown'}${options.adminToken === '' ? '' : ' (with the admin token)'}`;
  app.register(
    async (console) => {
      console.addHook('onRequest', sessions.guard);
      console.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, parseForm);
      console.get('', { schema: { summary: 'the web console' } }, async (_request, reply) => reply.redirect('/console/topics'));
      sessions.register(console);
      registerTopicPages(console, options.admin);
      registerGroupPages(console, options.admin);
      registerProcessorPages(console, options.admin);
      registerJourneyPage(console, options.traces);
      registerDeadLetterPages(console, { admin: options.admin, csrf, audit, who, stopping: options.stopping });
    },
    { prefix: '/console' },
  );
}
