/**
 * The email channel: sends "Transaction Successful" emails over SMTP with nodemailer. Failures become
 * `HERALD_DESTINATION_FAILED` errors whose `retriable` flag tells the handler runtime whether to retry: a server
 * that is down, times out or answers 4xx (try later) is retriable; a 5xx answer (e.g. 550, no such mailbox) is not,
 * so such a message goes to the dead-letter topic at once instead of being retried.
 */
import { createTransport } from 'nodemailer';
import { HeraldError, SpanKind, withSpan } from '#herald';
import type { Notification } from '../topics.ts';
import { emailSubject, emailText, messageIdOf } from './message.ts';

/** Where and how to connect; resolved on the first send, so a local sink may pick its port after construction. */
export interface SmtpTarget {
  host: string;
  port: number;
  /** TLS from the first byte (465). Without it, STARTTLS is used when the server offers it. */
  secure: boolean;
  user?: string;
  password?: string;
  /** Connection, greeting and socket inactivity timeout. */
  timeoutMs: number;
}

/** Options of an {@link EmailChannel}. */
export interface EmailChannelOptions {
  target: () => SmtpTarget;
  /** The `From` address. */
  from: string;
  /** Simultaneous SMTP connections. Default 4. */
  connections?: number;
}

/** Header repeating the request id, for receivers that index mail by it. */
export const REQUEST_ID_MAIL_HEADER = 'X-Herald-Request-Id';

type Mailer = ReturnType<typeof createTransport>;

/** Sends notification emails; one pooled SMTP transport, created on first use, closed by {@link close}. */
export class EmailChannel {
  readonly #options: EmailChannelOptions;
  #mailer: Mailer | undefined;

  constructor(options: EmailChannelOptions) {
    this.#options = options;
  }

  /**
   * Sends the notification to `n.email`; resolves once the SMTP server has accepted it.
   * @throws HeraldError `HERALD_DESTINATION_FAILED`, retriable unless the server refused for good (5xx).
   */
  async send(n: Notification): Promise<void> {
    const { host, port } = this.#options.target();
    await withSpan(
      'smtp send',
      { 'network.protocol.name': 'smtp', 'server.address': host, 'server.port': port, 'herald.channel': 'email' },
      () => this.#send(n),
      { kind: SpanKind.CLIENT },
    );
  }

  async #send(n: Notification): Promise<void> {
    try {
      await this.#transport().sendMail({
        from: this.#options.from,
        to: n.email,
        subject: emailSubject(n),
        text: emailText(n),
        messageId: messageIdOf(n.request_id),
        headers: { [REQUEST_ID_MAIL_HEADER]: n.request_id },
      });
    } catch (err) {
      throw smtpFailure(err);
    }
  }

  /** Closes the pooled connections. */
  close(): void {
    this.#mailer?.close();
    this.#mailer = undefined;
  }

  #transport(): Mailer {
    if (this.#mailer) return this.#mailer;
    const t = this.#options.target();
    this.#mailer = createTransport({
      pool: true,
      maxConnections: this.#options.connections ?? 4,
      host: t.host,
      port: t.port,
      secure: t.secure,
      auth: t.user ? { user: t.user, pass: t.password ?? '' } : undefined,
      connectionTimeout: t.timeoutMs,
      greetingTimeout: t.timeoutMs,
      socketTimeout: t.timeoutMs,
    });
    return this.#mailer;
  }
}

/** Maps a nodemailer failure to a Herald error: SMTP 5xx answers are permanent, everything else is worth a retry. */
export function smtpFailure(err: unknown): HeraldError {
  const e = err as { responseCode?: number; code?: string; message?: string };
  const permanent = typeof e.responseCode === 'number' && e.responseCode >= 500 && e.responseCode < 600;
  const what = e.responseCode ? `SMTP ${e.responseCode}` : (e.code ?? 'error');
  return new HeraldError('HERALD_DESTINATION_FAILED', `email not sent (${what}): ${e.message ?? String(err)}`, {
    cause: err,
    retriable: !permanent,
  });
}
