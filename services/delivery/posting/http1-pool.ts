/**
 * The posting thread's HTTP/1.1 client: one origin's keep-alive connections, at most `maxSockets`, each carrying one
 * request at a time; requests wait in order when every connection is busy. It does only what delivery needs — a
 * POST with a body of known length and the response's status, `Retry-After` and the start of an error body — and so
 * costs far less than a general client: posting 250 requests in flight to a server answering after 50 ms, the
 * client's thread used 16.5–17.4 µs of CPU a request with a bare socket client against 36–37 µs with undici's
 * `Pool.dispatch` (2 vCPU, same minutes), and about 10 µs of either is the kernel's. In the send stage the posting
 * thread was the largest single cost of a delivered event.
 */
import net from 'node:net';
import tls from 'node:tls';
import { HEADER_NAME } from '#herald/kit';
import { MalformedResponse, type ResponseHead, ResponseReader } from './http1-response.ts';

/** What a request came to: the response, or the connection failing (refused, reset, closed, a malformed answer). */
export type Http1Outcome = { response: ResponseHead } | { failure: string };

/** A request the client refuses to send (a header it cannot write); nothing was sent. */
export class InvalidRequest extends Error {}

export interface Http1PoolOptions {
  /** `http:` or `https:`. */
  protocol: string;
  /** Host name or address, IPv6 without brackets. */
  hostname: string;
  port: number;
  maxSockets: number;
  /** `false`: every request asks for its connection to be closed after the answer, and it is. */
  keepAlive: boolean;
  /** Bytes kept of a response body whose status is not 2xx. */
  keepBodyBytes: number;
}

/** An idle connection is closed after this long; servers close theirs after a few seconds, often 5. */
const IDLE_MS = 4_000;
/** Bodies up to this size are sent with their head in one buffer (one write); larger ones in a corked pair. */
const JOIN_BODY_BYTES = 16 * 1024;
/**
 * What a header value may contain on the wire (RFC 9110 field content: tabs, printable ASCII, obs-text): no CR, LF or
 * NUL. Wider than the kit's `isHeaderValue`, which says what arrives unchanged and is checked where values come in.
 */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** Headers the client writes itself; given ones are refused, as they would change how the request is framed. */
const MANAGED = new Set(['connection', 'content-length', 'transfer-encoding', 'keep-alive', 'upgrade', 'expect', 'te']);

interface Request {
  head: string;
  body: Buffer;
  onOutcome(outcome: Http1Outcome): void;
  /** Answered or cancelled: no longer waiting. */
  settled: boolean;
  connection: Connection | undefined;
}

export class Http1Pool {
  readonly #options: Http1PoolOptions;
  readonly #hostHeader: string;
  readonly #connections = new Set<Connection>();
  /** Idle connections, the most recently used last (reused first, so that few stay warm). */
  #idle: Connection[] = [];
  /** Requests waiting for a connection, oldest first; settled ones are skipped. */
  #waiting: Request[] = [];
  #waitingHead = 0;
  #sweeper: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: Http1PoolOptions) {
    this.#options = options;
    const host = options.hostname.includes(':') ? `[${options.hostname}]` : options.hostname;
    const defaultPort = options.protocol === 'https:' ? 443 : 80;
    this.#hostHeader = options.port === defaultPort ? host : `${host}:${options.port}`;
  }

  /**
   * Sends `POST path` with `headers` and `body`; `onOutcome` is called once, later (never from within this call).
   * The returned function cancels the request: it is not sent if it still waits, and its connection is closed if it
   * was sent; `onOutcome` is then not called. Throws {@link InvalidRequest} for a header that cannot be written.
   */
  post(path: string, headers: Record<string, string>, body: Buffer, onOutcome: (outcome: Http1Outcome) => void): () => void {
    // Not an InvalidRequest: that would make the attempt a permanent failure.
    if (this.#closed) throw new Error('the client is closed');
    const request: Request = { head: this.#head(path, headers, body.length), body, onOutcome, settled: false, connection: undefined };
    const idle = this.#takeIdle();
    if (idle !== undefined) idle.send(request);
    else if (this.#connections.size < this.#options.maxSockets) this.#open().send(request);
    else this.#waiting.push(request);
    return () => {
      if (request.settled) return;
      request.settled = true;
      request.connection?.destroy();
    };
  }

  /** Closes every connection; requests in flight or waiting are dropped without an outcome. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#sweeper);
    for (const request of this.#waiting) request.settled = true;
    this.#waiting = [];
    for (const connection of [...this.#connections]) connection.destroy();
  }

  /** A connection finished its request: it takes the next waiting one, or rests. */
  released(connection: Connection): void {
    for (; this.#waitingHead < this.#waiting.length; this.#waitingHead++) {
      const next = this.#waiting[this.#waitingHead];
      if (next.settled) continue;
      this.#waitingHead++;
      this.#compactWaiting();
      connection.send(next);
      return;
    }
    this.#compactWaiting();
    connection.idleSince = performance.now();
    this.#idle.push(connection);
    this.#sweeper ??= setInterval(() => this.#sweep(), IDLE_MS / 2).unref();
  }

  /** A connection closed: forgotten, and a waiting request (if any) gets a new one. */
  gone(connection: Connection): void {
    this.#connections.delete(connection);
    const at = this.#idle.indexOf(connection);
    if (at >= 0) this.#idle.splice(at, 1);
    if (this.#closed) return;
    while (this.#waitingHead < this.#waiting.length && this.#waiting[this.#waitingHead].settled) this.#waitingHead++;
    if (this.#waitingHead < this.#waiting.length && this.#connections.size < this.#options.maxSockets) {
      const next = this.#waiting[this.#waitingHead++];
      this.#compactWaiting();
      this.#open().send(next);
    }
  }

  #open(): Connection {
    const connection = new Connection(this, this.#options);
    this.#connections.add(connection);
    return connection;
  }

  #takeIdle(): Connection | undefined {
    for (;;) {
      const connection = this.#idle.pop();
      if (connection === undefined || connection.usable) return connection;
    }
  }

  #sweep(): void {
    const cutoff = performance.now() - IDLE_MS;
    for (const connection of this.#idle.filter((c) => c.idleSince < cutoff)) connection.destroy();
    if (this.#idle.length === 0) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }

  #compactWaiting(): void {
    if (this.#waitingHead === this.#waiting.length) {
      this.#waiting = [];
      this.#waitingHead = 0;
    } else if (this.#waitingHead > 1024 && this.#waitingHead * 2 > this.#waiting.length) {
      this.#waiting = this.#waiting.slice(this.#waitingHead);
      this.#waitingHead = 0;
    }
  }

  #head(path: string, headers: Record<string, string>, length: number): string {
    let host = this.#hostHeader;
    let lines = '';
    for (const name in headers) {
      const value = headers[name];
      if (!HEADER_NAME.test(name)) throw new InvalidRequest(`${JSON.stringify(name)} is not a valid header name`);
      if (typeof value !== 'string' || !FIELD_VALUE.test(value)) {
        throw new InvalidRequest(`the value of header ${name} contains characters a header cannot carry`);
      }
      const lower = name.toLowerCase();
      if (lower === 'host') host = value;
      else if (MANAGED.has(lower)) throw new InvalidRequest(`header ${name} is set by the client, not the destination`);
      else lines += `${name}: ${value}\r\n`;
    }
    const close = this.#options.keepAlive ? '' : 'connection: close\r\n';
    return `POST ${path} HTTP/1.1\r\nhost: ${host}\r\n${lines}content-length: ${length}\r\n${close}\r\n`;
  }
}

/** One connection, carrying one request at a time. */
class Connection {
  readonly #pool: Http1Pool;
  readonly #socket: net.Socket;
  readonly #keepBodyBytes: number;
  readonly #keepAlive: boolean;
  #request: Request | undefined;
  #reader: ResponseReader | undefined;
  #gone = false;
  idleSince = 0;

  constructor(pool: Http1Pool, options: Http1PoolOptions) {
    this.#pool = pool;
    this.#keepBodyBytes = options.keepBodyBytes;
    this.#keepAlive = options.keepAlive;
    this.#socket =
      options.protocol === 'https:'
        ? tls.connect({
            host: options.hostname,
            port: options.port,
            servername: net.isIP(options.hostname) === 0 ? options.hostname : undefined,
            ALPNProtocols: ['http/1.1'],
          })
        : net.connect({ host: options.hostname, port: options.port });
    this.#socket.setNoDelay(true);
    this.#socket.on('data', (chunk: Buffer) => this.#data(chunk));
    this.#socket.on('end', () => this.#ended());
    this.#socket.on('error', (err: NodeJS.ErrnoException) => this.#fail(err.code ? `${err.code} ${err.message}` : err.message));
    this.#socket.on('close', () => this.#fail('the destination closed the connection'));
  }

  /** Open, not ended by the server, and not carrying a request. */
  get usable(): boolean {
    return !this.#gone && this.#request === undefined && !this.#socket.destroyed && !this.#socket.readableEnded;
  }

  send(request: Request): void {
    this.#request = request;
    request.connection = this;
    this.#reader = new ResponseReader(this.#keepBodyBytes);
    const { head, body } = request;
    if (body.length <= JOIN_BODY_BYTES) {
      const bytes = Buffer.allocUnsafe(head.length + body.length);
      body.copy(bytes, bytes.write(head, 0, 'latin1'));
      this.#socket.write(bytes);
    } else {
      this.#socket.cork();
      this.#socket.write(head, 'latin1');
      this.#socket.write(body);
      this.#socket.uncork();
    }
  }

  destroy(): void {
    this.#socket.destroy();
    this.#fail('the request was stopped');
  }

  #data(chunk: Buffer): void {
    const request = this.#request;
    if (request === undefined || this.#reader === undefined) {
      // Bytes nobody asked for: the connection's framing cannot be trusted any more.
      this.#socket.destroy();
      return;
    }
    let response: ResponseHead | undefined;
    try {
      response = this.#reader.push(chunk);
    } catch (err) {
      this.#socket.destroy();
      this.#fail(err instanceof MalformedResponse ? `a malformed response: ${err.message}` : String(err));
      return;
    }
    if (response !== undefined) this.#answer(request, response);
  }

  #ended(): void {
    const request = this.#request;
    if (request === undefined || this.#reader === undefined) {
      this.#socket.destroy();
      return;
    }
    try {
      this.#answer(request, this.#reader.end());
    } catch (err) {
      this.#socket.destroy();
      this.#fail((err as Error).message);
    }
  }

  #answer(request: Request, response: ResponseHead): void {
    this.#request = undefined;
    this.#reader = undefined;
    request.connection = undefined;
    const reuse = response.reusable && this.#keepAlive;
    if (!reuse) this.#socket.destroy();
    if (!request.settled) {
      request.settled = true;
      request.onOutcome({ response });
    }
    if (reuse && !this.#gone) this.#pool.released(this);
  }

  /** The connection is unusable: its request (if any) fails with `message`, and the pool forgets it. */
  #fail(message: string): void {
    const request = this.#request;
    this.#request = undefined;
    this.#reader = undefined;
    if (request !== undefined) {
      request.connection = undefined;
      if (!request.settled) {
        request.settled = true;
        request.onOutcome({ failure: message });
      }
    }
    if (this.#gone) return;
    this.#gone = true;
    this.#socket.destroy();
    this.#pool.gone(this);
  }
}
