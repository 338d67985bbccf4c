/**
 * Signing in to the console when `http.adminToken` is set: a form takes the token once and sets a session cookie
 * (HttpOnly, SameSite=Strict, path `/console`), so a browser — which cannot send a bearer header on a page load —
 * can use the console. Without a token the admin rule alone applies (loopback bind only).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HeraldError } from '../errors.ts';
import { bearerMatches, type GuardSettings } from '../http/guard.ts';
import { html } from '../http/html.ts';
import { isLoopback } from '../kit/loopback.ts';
import { LruCache } from '../kit/lru.ts';
import { page } from './layout.ts';

const COOKIE = 'herald_console';
/** Sessions kept at once; the oldest is signed out first. */
const SESSIONS = 1_000;
/** How long a session lasts. */
const SESSION_MS = 12 * 3_600_000;
const LOGIN_PATH = '/console/login';

function cookieOf(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class ConsoleSessions {
  readonly #settings: GuardSettings;
  /** Session id → when it ends. */
  readonly #sessions = new LruCache<string, number>(SESSIONS);

  constructor(settings: GuardSettings) {
    this.#settings = settings;
  }

  /**
   * The console's access rule, as an `onRequest` hook: without a token, a loopback bind only (403 elsewhere); with
   * one, a bearer header or a session — a page asked for without either goes to the sign-in form, anything else is
   * 401.
   */
  readonly guard = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (this.#settings.adminToken === '') {
      if (!isLoopback(this.#settings.host)) {
        throw new HeraldError('HERALD_FORBIDDEN', 'the console is served only on a loopback bind unless http.adminToken is set');
      }
      return;
    }
    if (request.url.split('?')[0] === LOGIN_PATH) return;
    if (bearerMatches(request, this.#settings.adminToken) || this.#valid(cookieOf(request, COOKIE))) return;
    if (request.method === 'GET' && !request.url.endsWith('.json')) {
      await reply.redirect(`${LOGIN_PATH}?then=${encodeURIComponent(request.url)}`, 303);
      return;
    }
    throw new HeraldError('HERALD_UNAUTHORIZED', 'sign in to the console first (or send Authorization: Bearer <http.adminToken>)');
  };

  #valid(id: string | undefined): boolean {
    if (id === undefined) return false;
    const ends = this.#sessions.get(id);
    if (ends === undefined) return false;
    if (ends > Date.now()) return true;
    this.#sessions.delete(id);
    return false;
  }

  /** `GET /console/login` (the form) and `POST /console/login` (token in, cookie out). */
  register(app: FastifyInstance): void {
    const form = (then: string, failed: boolean) =>
      page(
        'topics',
        'Sign in',
        html`${failed ? html`<p id="failed">That is not the admin token.</p>` : ''}
<form method="post" action="${LOGIN_PATH}"><input type="hidden" name="then" value="${then}">
<label>admin token (http.adminToken)<input type="password" name="token" autofocus></label> <button>Sign in</button></form>`,
      );
    app.get<{ Querystring: { then?: string } }>('/login', { schema: { summary: 'console: sign in' } }, async (request, reply) =>
      reply.type('text/html; charset=utf-8').send(form(safeThen(request.query.then), false)),
    );
    app.post<{ Body: Record<string, string | undefined> }>('/login', { schema: { summary: 'console: sign in (a form post)' } }, async (request, reply) => {
      const body = request.body ?? {};
      const then = safeThen(body.then);
      // Without a token there is nothing to sign in to.
      if (this.#settings.adminToken === '') return reply.redirect(then, 303);
      if (!sameText(body.token ?? '', this.#settings.adminToken)) {
        if (!/^text\/html\b/.test(request.headers.accept ?? '')) {
          throw new HeraldError('HERALD_UNAUTHORIZED', 'that is not the admin token');
        }
        return reply.status(401).type('text/html; charset=utf-8').send(form(then, true));
      }
      const id = randomBytes(24).toString('base64url');
      this.#sessions.set(id, Date.now() + SESSION_MS);
      void reply.header(
        'set-cookie',
        `${COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/console; Max-Age=${SESSION_MS / 1000}`,
      );
      return reply.redirect(then, 303);
    });
  }
}

/** Where to go after signing in: a console page, never another site. */
function safeThen(then: string | undefined): string {
  return then !== undefined && /^\/console(\/|$|\?)/.test(then) ? then : '/console/topics';
}
