/**
 * The notify topics and the record they carry. A record's value is the JSON {@link Notification}; its key is the
 * producer's `key` (absent: spread over partitions); the `request-id` header repeats the request id for tools that
 * read headers only.
 */
import { jsonCodec } from '#herald';
import { CHANNELS, type Channel, type NotifyConfig } from './config.ts';

/** What a produce request turns into: the value of one record. */
export interface Notification {
  request_id: string;
  transaction_id: string;
  message_body: string;
  email: string;
  phone: string;
  customer_id: string;
}

/** Longest identifier accepted in `request_id`, `transaction_id`, `customer_id` and `key`. */
export const MAX_ID_LENGTH = 256;

/** E.164: a plus, a non-zero country digit, at most 15 digits in all. */
export const E164 = '^\\+[1-9]\\d{1,14}$';

/**
 * An email address as browsers validate `<input type=email>` (WHATWG): pragmatic, ASCII, no quoted local parts.
 * A dotless domain (`ops@localhost`) is allowed, as it is a deliverable address on a local network.
 */
export const EMAIL =
  "^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$";

const id = { type: 'string', minLength: 1, maxLength: MAX_ID_LENGTH } as const;

/** JSON schema of a {@link Notification}, checked again when a consumer decodes a record. */
export const notificationSchema = {
  type: 'object',
  required: ['request_id', 'transaction_id', 'message_body', 'email', 'phone', 'customer_id'],
  properties: {
    request_id: id,
    transaction_id: id,
    message_body: { type: 'string' },
    email: { type: 'string', maxLength: 254, pattern: EMAIL },
    phone: { type: 'string', pattern: E164 },
    customer_id: id,
  },
} as const;

/** Encodes (validating, so nothing invalid is written) and decodes the value of notify records. */
export const notificationCodec = jsonCodec<Notification>(notificationSchema, { name: 'notify.Notification' });

/** Header carrying the request id on every notify record. */
export const REQUEST_ID_HEADER = 'request-id';

/** Every topic the produce API accepts: the union of the channels' subscriptions, in a stable order. */
export function notifyTopics(config: Pick<NotifyConfig, 'subscriptions'>): string[] {
  return [...new Set(CHANNELS.flatMap((channel) => config.subscriptions[channel]))].sort();
}

/** The consumer group of one channel. */
export function groupOf(config: Pick<NotifyConfig, 'groupPrefix'>, channel: Channel): string {
  return `${config.groupPrefix}-${channel}`;
}
