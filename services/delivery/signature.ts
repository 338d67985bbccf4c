import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header carrying a request's signature. */
export const SIGNATURE_HEADER = 'herald-signature';

/**
 * Signs a request body for a destination that shares `secret` with Herald:
 * `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. The timestamp is signed too, so a receiver can
 * refuse replays of old requests; the scheme is Stripe's, so existing verifiers work unchanged.
 */
export function sign(secret: string, body: Buffer, nowMs = Date.now()): string {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${digest(secret, t, body)}`;
}

function digest(secret: string, t: number, body: Buffer): string {
  return createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');
}

/**
 * Checks a signature header as a receiver would: well-formed, made with `secret` over `body`, and no older than
 * `toleranceMs`. For tests and for destinations written in TypeScript.
 */
export function verify(secret: string, body: Buffer, header: string, nowMs = Date.now(), toleranceMs = 300_000) {
  const parts = new Map(header.split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1');
  if (!Number.isInteger(t) || v1 === undefined || !/^[0-9a-f]{64}$/.test(v1)) return false;
  if (Math.abs(nowMs - t * 1000) > toleranceMs) return false;
  return timingSafeEqual(Buffer.from(v1, 'hex'), Buffer.from(digest(secret, t, body), 'hex'));
}
