import type { Socket } from 'node:net';
import { API_BY_KEY, APIS, type AnyApi, BEFORE_AUTHENTICATION, type SessionState } from '../apis/index.ts';
import { advertised } from '../apis/api-versions.ts';
import { plainTokenMatches } from '../apis/sasl.ts';
import { ReadAhead } from '../records/read-ahead.ts';
import { KafkaError, ProtocolError } from '../wire/errors.ts';
import { FrameDecoder } from '../wire/frames.ts';
import { API_VERSIONS_KEY, readClientId, readRequestHeader, writeResponseHeader } from '../wire/header.ts';
import { Reader } from '../wire/reader.ts';
import { decode, encode } from '../wire/schema.ts';
import { Writer } from '../wire/writer.ts';
import type { ListenerContext } from './context.ts';

/** Requests started but not yet answered on one connection before it stops reading. */
const MAX_IN_FLIGHT = 100;
/** Bytes waiting in the socket's send buffer before it stops reading. */
const MAX_UNSENT = 16 << 20;

/** A response in request order: chunks once ready (none for a request that gets no answer). */
interface Slot {
  ready: boolean;
  chunks: Buffer[];
  /** Close the connection once this answer is written. */
  closeAfter: string | null;
}

/**
 * One client connection: cuts the byte stream into frames, starts each request as it arrives (in order, so a
 * producer's pipelined batches are appended in order) and writes the answers in request order, as Kafka clients
 * require. Anything that is not a well-formed request closes this connection with one log line; nothing of it
 * reaches the log or other connections.
 */
export class Connection {
  readonly #socket: Socket;
  readonly #context: ListenerContext;
  readonly #decoder: FrameDecoder;
  readonly #slots: Slot[] = [];
  readonly #remote: string;
  readonly #session: SessionState;
  #closed = false;
  #paused = false;
  readonly #gone = new AbortController();
  readonly #readAhead = new ReadAhead();

  constructor(socket: Socket, context: ListenerContext, onClose: (c: Connection) => void) {
    this.#socket = socket;
    this.#context = context;
    this.#decoder = new FrameDecoder(context.options.maxFrameBytes);
    this.#remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.#session = {
      authenticated: context.options.sasl === null,
      mechanism: null,
      rawTokenNext: false,
      closeAfterResponse: null,
    };
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('drain', () => this.#maybeResume());
    socket.on('error', (err) => this.#context.logger?.debug({ err, remote: this.#remote }, 'kafka listener: socket error'));
    socket.on('close', () => {
      this.#closed = true;
      this.#gone.abort();
      this.#readAhead.close();
      onClose(this);
    });
  }

  /** Closes the connection at once (the listener is stopping). */
  destroy(): void {
    this.#closed = true;
    this.#socket.destroy();
  }

  #receive(chunk: Buffer): void {
    if (this.#closed) return;
    let frames: Buffer[];
    try {
      frames = this.#decoder.push(chunk);
    } catch (err) {
      return this.#reject(err);
    }
    for (const frame of frames) {
      if (this.#closed) return;
      try {
        this.#request(frame);
      } catch (err) {
        return this.#reject(err);
      }
    }
    this.#maybePause();
  }

  /** Closes the connection for bad bytes (one log line) or a handler's bug (logged as an error). */
  #reject(err: unknown): void {
    if (err instanceof ProtocolError) this.close(err.message);
    else {
      this.#context.logger?.error({ err, remote: this.#remote }, 'kafka listener: request failed; closing the connection');
      this.#closed = true;
      this.#socket.destroy();
    }
  }

  /** Closes the connection with one log line naming why. */
  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#context.logger?.warn({ remote: this.#remote, reason }, 'kafka listener: closed a connection');
    this.#socket.destroy();
  }

  #request(frame: Buffer): void {
    if (this.#session.rawTokenNext) return this.#rawSaslToken(frame);
    const r = new Reader(frame);
    const header = readRequestHeader(r);
    const api = API_BY_KEY.get(header.apiKey);
    if (api === undefined) throw new ProtocolError(`unknown API key ${header.apiKey}`);
    if (!this.#session.authenticated && !BEFORE_AUTHENTICATION.has(header.apiKey)) {
      throw new ProtocolError(`${api.name} before SASL authentication`);
    }
    const flexible = header.apiVersion >= api.request.flexibleFrom;
    const clientId = readClientId(r, flexible);
    if (header.apiVersion < api.min || header.apiVersion > api.max) {
      if (header.apiKey !== API_VERSIONS_KEY) {
        throw new ProtocolError(`${api.name} version ${header.apiVersion} is not supported (${api.min}-${api.max})`);
      }
      // A newer client: answer in v0 with the versions we have, so it can pick one of them.
      const body = { errorCode: KafkaError.UNSUPPORTED_VERSION, apiKeys: advertised(APIS), throttleTimeMs: 0 };
      this.#answer(Promise.resolve(body), api, 0, header.correlationId);
      return;
    }
    const body = decode(api.request, r, header.apiVersion);
    const result = api.handle(body as never, {
      version: header.apiVersion,
      clientId,
      clientHost: `/${this.#socket.remoteAddress ?? ''}`,
      broker: this.#context,
      session: this.#session,
      closed: this.#gone.signal,
      readAhead: this.#readAhead,
    });
    this.#answer(result, api, header.apiVersion, header.correlationId);
  }

  /** Queues the answer to one request; answers go out in request order. */
  #answer(result: object | null | Promise<object | null>, api: AnyApi, version: number, correlationId: number): void {
    const slot: Slot = { ready: false, chunks: [], closeAfter: null };
    this.#slots.push(slot);
    const settle = (body: object | null) => {
      if (body !== null) slot.chunks = this.#encode(body, api, version, correlationId);
      slot.closeAfter = this.#session.closeAfterResponse;
      slot.ready = true;
      this.#flush();
    };
    if (result instanceof Promise) {
      result.then(settle, (err: unknown) => {
        if (!this.#closed) this.#reject(err);
      });
    } else settle(result);
  }

  #encode(body: object, api: AnyApi, version: number, correlationId: number): Buffer[] {
    const w = new Writer();
    writeResponseHeader(w, correlationId, api.key, version >= api.response.flexibleFrom);
    encode(api.response, w, version, body);
    const chunks = w.chunks();
    const size = Buffer.allocUnsafe(4);
    size.writeInt32BE(w.length);
    return [size, ...chunks];
  }

  #flush(): void {
    if (this.#closed) return;
    const socket = this.#socket;
    let corked = false;
    while (this.#slots.length > 0 && this.#slots[0].ready) {
      const slot = this.#slots.shift()!;
      if (slot.chunks.length > 0 && !corked) {
        socket.cork();
        corked = true;
      }
      for (const chunk of slot.chunks) socket.write(chunk);
      if (slot.closeAfter !== null) {
        if (corked) socket.uncork();
        this.#closed = true;
        this.#context.logger?.warn({ remote: this.#remote, reason: slot.closeAfter }, 'kafka listener: closed a connection');
        socket.end();
        return;
      }
    }
    if (corked) socket.uncork();
    this.#maybeResume();
  }

  /** SaslHandshake v0: the frame after it is the bare PLAIN token, answered by an empty frame. */
  #rawSaslToken(token: Buffer): void {
    this.#session.rawTokenNext = false;
    const expected = this.#context.options.sasl;
    if (expected === null || !plainTokenMatches(token, expected)) throw new ProtocolError('SASL authentication failed');
    this.#session.authenticated = true;
    this.#slots.push({ ready: true, chunks: [Buffer.alloc(4)], closeAfter: null });
    this.#flush();
  }

  #maybePause(): void {
    if (this.#paused || this.#closed) return;
    if (this.#slots.length >= MAX_IN_FLIGHT || this.#socket.writableLength > MAX_UNSENT) {
      this.#paused = true;
      this.#socket.pause();
    }
  }

  #maybeResume(): void {
    if (!this.#paused || this.#closed) return;
    if (this.#slots.length < MAX_IN_FLIGHT / 2 && this.#socket.writableLength <= MAX_UNSENT) {
      this.#paused = false;
      this.#socket.resume();
    }
  }
}
