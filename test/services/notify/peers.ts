/**
 * Real network peers for the notify tests: an SMTP server (smtp-server) and an HTTP SMS gateway (node:http), both on
 * loopback. Each can be stopped — its listener closed and every open connection cut, as when the process dies — and
 * started again on the same port, and each counts what it accepted per request id so tests can check "every message
 * arrived, none twice".
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { TestContext } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { parseMail } from '../../../services/notify/sinks/mime.ts';

/** One message a peer accepted. */
export interface Accepted {
  requestId: string;
  to: string;
  subject?: string;
  text: string;
}

/** What both peers share: per-request counts and a way to wait for a set of request ids. */
abstract class Peer {
  port = 0;
  readonly accepted: Accepted[] = [];
  readonly #counts = new Map<string, number>();
  #waiters: (() => void)[] = [];

  protected record(entry: Accepted): void {
    this.accepted.push(entry);
    this.#counts.set(entry.requestId, (this.#counts.get(entry.requestId) ?? 0) + 1);
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** How many times the request id was accepted. */
  count(requestId: string): number {
    return this.#counts.get(requestId) ?? 0;
  }

  /** Request ids accepted more than once. */
  duplicates(): string[] {
    return [...this.#counts].filter(([, n]) => n > 1).map(([id]) => id);
  }

  /** Resolves once every id has been accepted at least once; rejects after `timeoutMs` naming those missing. */
  async waitFor(ids: readonly string[], timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const missing = ids.filter((id) => !this.#counts.has(id));
      if (missing.length === 0) return;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${missing.length} of ${ids.length} never arrived, e.g. ${missing.slice(0, 3)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 500));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

/**
 * An SMTP server accepting any sender; recipients at `@rejected.example` are refused with 550 (a permanent
 * failure) while `rejecting` is set. Counts messages by their `X-Herald-Request-Id` header.
 */
export class SmtpPeer extends Peer {
  /** Whether recipients at `@rejected.example` are refused (550). */
  rejecting = true;
  #server: SMTPServer | undefined;
  readonly #sockets = new Set<Socket>();

  async start(port = this.port): Promise<void> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      onRcptTo: (address, _session, callback) => {
        if (this.rejecting && address.address.endsWith('@rejected.example')) {
          return callback(Object.assign(new Error('no such mailbox'), { responseCode: 550 }));
        }
        callback();
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const mail = parseMail(Buffer.concat(chunks));
          this.record({
            requestId: mail.headers.get('x-herald-request-id') ?? '',
            to: session.envelope.rcptTo.map((r) => r.address).join(', '),
            subject: mail.headers.get('subject'),
            text: mail.text,
          });
          callback();
        });
      },
    });
    server.on('error', () => {});
    server.server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
    server.listen(port, '127.0.0.1');
    await once(server.server, 'listening');
    this.port = (server.server.address() as AddressInfo).port;
    this.#server = server;
  }

  /** Stops listening and cuts every connection. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }
}

/** How the SMS gateway answers: `ok` 200, `fail` 503, `hang` never (the client times out). */
export type GatewayMode = 'ok' | 'fail' | 'hang';

/** An HTTP SMS gateway: `POST /sms` with `{to, message, request_id}`; counts 200-answered requests by request id. */
export class SmsGatewayPeer extends Peer {
  mode: GatewayMode = 'ok';
  /** Idempotency-Key headers seen on accepted requests, in order. */
  readonly keys: string[] = [];
  /** `traceparent` headers seen on accepted requests, in order. */
  readonly traceparents: string[] = [];
  #server: Server | undefined;

  get url(): string {
    return `http://127.0.0.1:${this.port}/sms`;
  }

  async start(port = this.port): Promise<void> {
    const server = createServer((request, response) => void this.#handle(request, response));
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    this.port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    if (this.mode === 'hang') return;
    if (this.mode === 'fail') {
      response.writeHead(503).end('unavailable');
      return;
    }
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      to: string;
      message: string;
      request_id: string;
    };
    this.keys.push(String(request.headers['idempotency-key']));
    if (request.headers.traceparent !== undefined) this.traceparents.push(String(request.headers.traceparent));
    this.record({ requestId: body.request_id, to: body.to, text: body.message });
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"sent"}');
  }

  /** Stops listening and cuts every connection, hanging requests included. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }
}

/** Starts both peers, stopped when the test ends. */
export async function startPeers(t: TestContext): Promise<{ smtp: SmtpPeer; sms: SmsGatewayPeer }> {
  const smtp = new SmtpPeer();
  const sms = new SmsGatewayPeer();
  await smtp.start();
  await sms.start();
  t.after(async () => {
    await smtp.stop();
    await sms.stop();
  });
  return { smtp, sms };
}
