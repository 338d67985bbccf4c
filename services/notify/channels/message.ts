/**
 * The words of a "Transaction Successful" notification, shared by both channels so an email and an SMS about the
 * same transaction say the same thing.
 */
import { createHash } from 'node:crypto';
import type { Notification } from '../topics.ts';

/** The email subject: names the transaction. */
export function emailSubject(n: Notification): string {
  return `Transaction Successful: ${n.transaction_id}`;
}

/** The email body: names the transaction and carries the message body. */
export function emailText(n: Notification): string {
  return [
    `Transaction ${n.transaction_id} was successful.`,
    '',
    n.message_body,
    '',
    `Customer: ${n.customer_id}`,
    `Reference: ${n.request_id}`,
  ].join('\n');
}

/** The SMS text: one line naming the transaction, then the message body. */
export function smsText(n: Notification): string {
  return `Transaction Successful: ${n.transaction_id}. ${n.message_body}`;
}

/**
 * A Message-ID derived from the request id alone, so every resend of one notification carries the same id and a
 * receiver (or the local sink) can recognise a repeat. Hashed because request ids may hold characters a Message-ID
 * may not.
 */
export function messageIdOf(requestId: string): string {
  return `<${createHash('sha256').update(requestId).digest('hex').slice(0, 40)}@notify.herald>`;
}
