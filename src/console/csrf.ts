/**
 * Cross-site request forgery guard for the console's actions: every form carries this process's token in a hidden
 * field, which another site cannot read; a POST without it (or sent cross-site, by the browser's own say) is 403.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { HeraldError } from '../errors.ts';
import { html, type Html } from '../http/html.ts';

export class CsrfGuard {
  readonly #token = randomBytes(24).toString('base64url');

  /** The hidden field every console form includes. */
  field(): Html {
    return html`<input type="hidden" name="csrf" value="${this.#token}">`;
  }

  /** @throws HeraldError `HERALD_FORBIDDEN` unless the request carries the token and is not cross-site. */
  check(request: FastifyRequest, given: unknown): void {
    const site = request.headers['sec-fetch-site'];
    const a = Buffer.from(typeof given === 'string' ? given : '');
    const b = Buffer.from(this.#token);
    if (site === 'cross-site' || a.length !== b.length || !timingSafeEqual(a, b)) {
      throw new HeraldError('HERALD_FORBIDDEN', 'the console refuses an action without its form token (cross-site request?)');
    }
  }
}
