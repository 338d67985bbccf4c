/**
 * The local SMTP sink: a real SMTP server (smtp-server) on a loopback port, run when no `notify.smtp.host` is
 * configured, so `npm start` sends real SMTP offline. What it receives goes to the {@link SinkInbox}.
 */
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { SMTPServer } from 'smtp-server';
import type { Component } from '#herald';
import { REQUEST_ID_MAIL_HEADER } from '../channels/email.ts';
import type { SinkInbox } from '../inbox.ts';
import { parseMail } from './mime.ts';

/** Options of the {@link SmtpSink}. */
export interface SmtpSinkOptions {
  inbox: SinkInbox;
  logger: Logger;
  /** Largest accepted message, bytes. */
  maxBytes: number;
  /** Loopback port; 0 (default) picks a free one. */
  port?: number;
}

/** An SMTP server accepting any sender and recipient, without authentication or TLS, on 127.0.0.1. */
export class SmtpSink implements Component {
  readonly name = 'notify-smtp-sink';
  readonly #options: SmtpSinkOptions;
  #server: SMTPServer | undefined;
  #port = 0;

  constructor(options: SmtpSinkOptions) {
    this.#options = options;
  }

  /** The port it listens on (valid after {@link start}). */
  get port(): number {
    return this.#port;
  }

  async start(): Promise<void> {
    const { inbox, logger, maxBytes } = this.#options;
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      size: maxBytes,
      closeTimeout: 1000,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          if ((stream as { sizeExceeded?: boolean }).sizeExceeded) {
            return callback(Object.assign(new Error('message too large'), { responseCode: 552 }));
          }
          const mail = parseMail(Buffer.concat(chunks));
          const to = session.envelope.rcptTo.map((r) => r.address).join(', ');
          const requestId = mail.headers.get(REQUEST_ID_MAIL_HEADER.toLowerCase()) ?? '';
          const key = mail.headers.get('message-id') ?? `${session.id}`;
          const fresh = inbox.add('email', {
            key,
            request_id: requestId,
            to,
            subject: mail.headers.get('subject') ?? '',
            text: mail.text,
          });
          logger.info({ to, requestId, duplicate: !fresh }, 'local SMTP sink received an email');
          callback();
        });
      },
    });
    server.on('error', (err) => logger.warn({ err }, 'local SMTP sink: connection error'));
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(this.#options.port ?? 0, '127.0.0.1', () => {
        server.server.off('error', reject);
        resolve();
      });
    });
    this.#server = server;
    this.#port = (server.server.address() as AddressInfo).port;
    logger.info({ port: this.#port }, 'local SMTP sink listening');
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
