/**
 * Who may use a guarded route. Two rules share one token check: admin (bind-based, for operators) and local-only
 * (peer-based, for the demo sinks and mock destinations Herald's own channels call over 127.0.0.1).
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { HeraldError } from '../errors.ts';
import { isLoopback } from '../kit/loopback.ts';

/** Whether the request carries `Authorization: Bearer <token>` (compared in constant time). */
export function bearerMatches(request: FastifyRequest, token: string): boolean {
  const header = request.headers.authorization;
  const given = Buffer.from(header?.startsWith('Bearer ') ? header.slice(7) : '');
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/** The HTTP settings a guard decides by (`http.host`, `http.adminToken`). */
export interface GuardSettings {
  /** The bind address. */
  host: string;
  /** The admin bearer token; empty when none is set. */
  adminToken: string;
}

/**
 * The admin rule, for `/admin` and the console: with a token, every request needs `Authorization: Bearer <token>`
 * (401 `HERALD_UNAUTHORIZED`); without one, they are served only on a loopback bind (403 `HERALD_FORBIDDEN`).
 */
export function adminOnly(settings: GuardSettings): onRequestAsyncHookHandler {
  return async (request) => {
    if (settings.adminToken !== '') {
      if (!bearerMatches(request, settings.adminToken)) {
        throw new HeraldError('HERALD_UNAUTHORIZED', 'admin API needs Authorization: Bearer <http.adminToken>');
      }
    } else if (!isLoopback(settings.host)) {
      throw new HeraldError('HERALD_FORBIDDEN', 'admin API is served only on a loopback bind unless http.adminToken is set');
    }
  };
}

/**
 * A hook for parts that show people's data or accept made-up input (local sinks, mock destinations): served to
 * requests from this machine (what Herald's own channels send), and to others only with the admin bearer token.
 * Everyone else gets 403 `HERALD_FORBIDDEN`, so `--host 0.0.0.0` does not publish them.
 */
export function localOnly(settings: GuardSettings): onRequestAsyncHookHandler {
  return async (request) => {
    const peer = request.socket.remoteAddress ?? '';
    // A peer on this machine: loopback, or the very address the server listens on (a bind to one interface).
    if (isLoopback(peer) || peer === request.socket.localAddress) return;
    if (settings.adminToken !== '' && bearerMatches(request, settings.adminToken)) return;
    throw new HeraldError(
      'HERALD_FORBIDDEN',
      `${request.routeOptions.url ?? request.url} is served only to this machine unless http.adminToken is set and sent as a bearer token`,
    );
  };
}
