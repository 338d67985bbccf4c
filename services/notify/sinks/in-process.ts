/**
 * The local sinks without the network: with `notify.localSinks: in-process` (the default) and no SMTP host or SMS URL
 * configured, each channel hands its notification straight to the {@link SinkInbox} — the same entries the local SMTP
 * server and SMS gateway would record (Message-ID and Idempotency-Key as the keys, repeats counted as duplicates,
 * `+999` numbers refused for good) without an SMTP session or an HTTP request per message.
 *
 * Delivering every notification of `npm start` over the loopback to Herald's own servers cost several times the
 * produce request itself (BENCHMARKS.md, Ingest); `notify.localSinks: servers` keeps that path for trying the real
 * SMTP and HTTP clients without outside servers.
 */
import type { Logger } from 'pino';
import { HeraldError } from '#herald';
import { idempotencyKey } from '../channels/sms.ts';
import { emailSubject, emailText, messageIdOf, smsText } from '../channels/message.ts';
import type { NotificationSender } from '../handlers.ts';
import type { SinkInbox } from '../inbox.ts';
import type { Notification } from '../topics.ts';
import { smsRefusal } from './sms.ts';

/** Records emails in the inbox as the local SMTP sink would. */
export function inProcessEmail(inbox: SinkInbox, logger: Logger): NotificationSender {
  return {
    send: async (n: Notification) => {
      const fresh = inbox.add('email', {
        key: messageIdOf(n.request_id),
        request_id: n.request_id,
        to: n.email,
        subject: emailSubject(n),
        text: emailText(n),
      });
      logger.debug({ to: n.email, requestId: n.request_id, duplicate: !fresh }, 'local email sink received an email');
    },
  };
}

/** Records SMS in the inbox as the local SMS gateway would, refusing its `+999` numbers for good. */
export function inProcessSms(inbox: SinkInbox, logger: Logger): NotificationSender {
  return {
    send: async (n: Notification) => {
      const refusal = smsRefusal(n.phone);
      if (refusal !== undefined) {
        throw new HeraldError('HERALD_DESTINATION_FAILED', `local SMS sink refused the SMS: ${refusal}`, {
          retriable: false,
          details: { status: 400 },
        });
      }
      const fresh = inbox.add('sms', { key: idempotencyKey(n.request_id), request_id: n.request_id, to: n.phone, text: smsText(n) });
      logger.debug({ to: n.phone, requestId: n.request_id, duplicate: !fresh }, 'local SMS sink received an SMS');
    },
  };
}
