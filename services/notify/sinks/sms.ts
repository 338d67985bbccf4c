/**
 * The local SMS gateway: `POST /notify/sms-gateway` on Herald's own HTTP server, used when no `notify.sms.url` is
 * configured. It accepts what a real gateway would (`{"to", "message", "request_id"}` plus `Idempotency-Key`), records
 * it in the {@link SinkInbox} and answers 200; a repeated key answers 200 again without recording it twice, as a
 * gateway honouring idempotency keys does.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { SmsRequest } from '../channels/sms.ts';
import type { SinkInbox } from '../inbox.ts';
import { E164 } from '../topics.ts';

/** Path of the local SMS gateway. */
export const SMS_SINK_PATH = '/notify/sms-gateway';

/**
 * Numbers the local gateway refuses with 400 (a permanent failure, dead-lettered at once): 999 is no country's
 * code, so no real number is refused, and the demo can show dead letters and replay on demand.
 */
export const SMS_SINK_REFUSED_PREFIX = '+999';

/** Why the local gateway refuses an SMS to `to`, or `undefined` if it accepts it. */
export function smsRefusal(to: string): string | undefined {
  return to.startsWith(SMS_SINK_REFUSED_PREFIX) ? `numbers starting ${SMS_SINK_REFUSED_PREFIX} are refused` : undefined;
}

/** Registers the local SMS gateway route. */
export function registerSmsSink(app: FastifyInstance, inbox: SinkInbox): void {
  app.post<{ Body: SmsRequest; Headers: { 'idempotency-key'?: string } }>(
    SMS_SINK_PATH,
    {
      schema: {
        body: {
          type: 'object',
          required: ['to', 'message', 'request_id'],
          properties: {
            to: { type: 'string', pattern: E164 },
            message: { type: 'string' },
            request_id: { type: 'string', minLength: 1 },
          },
        },
      },
      // Herald's own SMS channel calls this: its request lines would drown the rest; the one line below says it all.
      logLevel: 'silent',
    },
    async (request, reply) => {
      const { to, message, request_id } = request.body;
      const refusal = smsRefusal(to);
      if (refusal !== undefined) {
        app.log.info({ to, requestId: request_id }, 'local SMS gateway refused an SMS (a +999 number)');
        return reply.status(400).send({ status: 'refused', error: refusal });
      }
      const key = request.headers['idempotency-key'] || request_id;
      const fresh = inbox.add('sms', { key, request_id, to, text: message });
      app.log.info({ to, requestId: request_id, duplicate: !fresh }, 'local SMS gateway received an SMS');
      return { status: fresh ? 'sent' : 'duplicate' };
    },
  );
}

/**
 * The local gateway's URL, once the HTTP server listens (its port may be chosen at start). Senders await it, so an
 * SMS handled before HTTP is up waits instead of failing.
 */
export function localSmsUrl(app: FastifyInstance): () => Promise<string> {
  let listening: () => void;
  const ready = new Promise<void>((resolve) => (listening = resolve));
  app.addHook('onListen', async () => listening());
  return async () => {
    await ready;
    const address = app.server.address() as AddressInfo;
    const wildcard = address.address === '0.0.0.0' || address.address === '::';
    const host = wildcard ? '127.0.0.1' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}${SMS_SINK_PATH}`;
  };
}
