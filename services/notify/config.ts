/**
 * The `notify` config section. Every key has a default that makes `npm start` work offline: no SMTP host and no SMS
 * URL mean "use the local sinks", shown at `GET /notify/inbox` — in-process by default, or (`localSinks: servers`) a
 * real SMTP server and an HTTP endpoint inside Herald that the channels reach over the loopback.
 */
import { boolean, type ConfigOf, integer, json, oneOf, string } from '#herald';

/** The two delivery channels. */
export const CHANNELS = ['email', 'sms'] as const;
export type Channel = (typeof CHANNELS)[number];

/** Which topics feed which channel. */
export type Subscriptions = Record<Channel, string[]>;

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/** Accepts `{email: [topic…], sms: [topic…]}` with valid, non-empty topic lists per channel given. */
export function checkSubscriptions(raw: unknown): Subscriptions | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const entries = Object.entries(raw);
  if (entries.some(([channel]) => !(CHANNELS as readonly string[]).includes(channel))) return undefined;
  const out: Subscriptions = { email: [], sms: [] };
  for (const [channel, topics] of entries) {
    if (!Array.isArray(topics) || !topics.every((t) => typeof t === 'string' && TOPIC_NAME.test(t))) return undefined;
    out[channel as Channel] = [...new Set(topics as string[])];
  }
  return out.email.length + out.sms.length > 0 ? out : undefined;
}

/**
 * Per-channel retry policy (see `RetryPolicy` of the handler runtime). The defaults ride out an outage of the mail
 * server or SMS gateway of about ten minutes before a message is dead-lettered; permanent refusals (SMTP 5xx, HTTP
 * 4xx) skip retries.
 */
function retrySection(channel: string) {
  return {
    maxAttempts: integer(
      30,
      `${channel}: attempts of one message, the first included, before it is dead-lettered`,
      1,
      1_000_000,
    ),
    maxElapsedMs: integer(
      600_000,
      `${channel}: no retry starts later than this after the first attempt`,
      0,
      86_400_000,
    ),
    initialDelayMs: integer(250, `${channel}: delay before the first retry (then doubling, with jitter)`, 0, 3_600_000),
    maxDelayMs: integer(30_000, `${channel}: longest delay between two attempts`, 0, 3_600_000),
  };
}

/** The `notify` config section's schema (loaded under `notify.`; see README for every key). */
export const configSchema = {
  role: oneOf('all', 'run the produce API, the consumers, or both (API and consumers can be separate processes)', [
    'all',
    'api',
    'consumers',
  ]),
  subscriptions: json<Subscriptions>(
    { email: ['transactions'], sms: ['transactions'] },
    'topics feeding each channel; every one is accepted by the produce API and created at boot',
    'a JSON object {"email": [topic…], "sms": [topic…]} naming at least one topic',
    checkSubscriptions,
  ),
  partitions: integer(3, 'partitions of the notification topics created at boot (existing topics are kept)', 1, 10_000),
  groupPrefix: string(
    'notify',
    'consumer groups are <groupPrefix>-email and <groupPrefix>-sms',
    /^[\w.-]+$/,
    'a group name',
  ),
  maxMessageBytes: integer(65_536, 'largest accepted message_body, in UTF-8 bytes', 1, 1 << 30),
  concurrency: integer(16, 'messages of one partition a channel handles at once (ordered per key)', 1, 10_000),
  commitIntervalMs: integer(
    1000,
    'most time between a record being done and its offset commit (a crash redelivers up to this much; dedupe skips it)',
    1,
    600_000,
  ),
  localSinks: oneOf(
    'in-process',
    'with no SMTP host or SMS URL: hand messages straight to the inbox (in-process), or run a local SMTP server and post to POST /notify/sms-gateway (servers)',
    ['in-process', 'servers'],
  ),
  inboxSize: integer(1000, 'messages of each local sink kept for GET /notify/inbox', 1, 1_000_000),
  smtp: {
    host: string('', 'SMTP server host (empty: the local email sink, see localSinks)'),
    port: integer(587, 'SMTP server port', 1, 65535),
    secure: boolean(
      false,
      'SMTP over TLS from the first byte (port 465); false still upgrades with STARTTLS if offered',
    ),
    from: string('Herald <notify@herald.local>', 'sender of notification emails', /\S/, 'an address'),
    user: string('', 'SMTP user (empty: no authentication)'),
    password: string('', 'SMTP password'),
    timeoutMs: integer(10_000, 'SMTP connection and command timeout', 100, 600_000),
  },
  sms: {
    url: string(
      '',
      'SMS gateway URL to POST to (empty: the local SMS sink, see localSinks)',
      /^(|https?:\/\/\S+)$/,
      'an http(s) URL or empty',
    ),
    timeoutMs: integer(5000, 'SMS gateway request timeout', 100, 600_000),
  },
  retry: { email: retrySection('email'), sms: retrySection('sms') },
};

/** The loaded `notify` section. */
export type NotifyConfig = ConfigOf<typeof configSchema>;
