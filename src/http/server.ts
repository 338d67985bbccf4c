import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { HeraldError } from '../errors.ts';
import type { StopStage } from '../platform/stop-budget.ts';

export interface HttpServerOptions {
  port: number;
  host: string;
  /**
   * On stop, connections that are not serving a fully received request — idle keep-alive connections, requests
   * whose headers or body are still arriving — are cut after this long: one slow client must not hold the
   * shutdown. Requests already being handled run on, within the stop budget.
   */
  shutdownGraceMs: number;
}

/** Of the stop budget, the part kept back to cut what is left and let the lifecycle move on in time. */
const CUT_MARGIN_MS = 100;

/**
 * The HTTP listener as a lifecycle component (`name`, `start`, `stop`). `stop()` stops accepting connections (new
 * requests on open connections get 503), signals long-running handlers (`stopping`) to wrap up and answer, cuts
 * connections that are idle or still sending a request after the grace, and resolves once the requests being
 * handled have completed — or, at the end of its budget, cuts those too and rejects with `HERALD_TIMEOUT`.
 */
export class HttpServer {
  readonly name = 'http';
  readonly stage: StopStage = 'http';
  readonly #app: FastifyInstance;
  readonly #options: HttpServerOptions;
  readonly #stopping = new AbortController();
  /**
   * Every open connection, with the last request it received and that request's response. Whether it is still
   * serving is read from the response when the server stops, rather than tracked with a `finish` listener on every
   * response (about 2% of what the API role allocated a request).
   */
  readonly #connections = new Map<Socket, Exchange | undefined>();

  /** Must be constructed before the app is ready (it listens to the server's connections and requests). */
  constructor(app: FastifyInstance, options: HttpServerOptions) {
    this.#app = app;
    this.#options = options;
    app.server.on('connection', (socket: Socket) => {
      this.#connections.set(socket, undefined);
      socket.once('close', () => this.#connections.delete(socket));
    });
    app.server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      this.#connections.set(request.socket as Socket, { request, response });
    });
  }

  /**
   * Aborted when the server begins to stop: a handler that may run long (a paced replay) stops early and answers
   * with what it did, rather than being cut at the deadline without an answer.
   */
  get stopping(): AbortSignal {
    return this.#stopping.signal;
  }

  /** @throws HeraldError `HERALD_ADDRESS_IN_USE` when the port is taken, `HERALD_CONFIG_INVALID` for other refusals. */
  async start(): Promise<void> {
    const { host, port } = this.#options;
    try {
      await this.#app.listen({ port, host, listenTextResolver: (address) => `listening on ${address}` });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const details = { field: 'http.port', value: `${host}:${port}` };
      if (code === 'EADDRINUSE') {
        throw new HeraldError('HERALD_ADDRESS_IN_USE', `${host}:${port} is in use (another Herald running? choose --port)`, {
          cause: err,
          details,
        });
      }
      throw new HeraldError('HERALD_CONFIG_INVALID', `cannot listen on ${host}:${port} (${code ?? (err as Error).message})`, {
        cause: err,
        details,
      });
    }
  }

  /** The base URL, once started (the real port when configured with 0). */
  get url(): string {
    const address = this.#app.server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}`;
  }

  async stop(budgetMs = Number.POSITIVE_INFINITY): Promise<void> {
    // Responses still to be sent close their keep-alive connection; otherwise an idle client socket would hold the
    // server open until the keep-alive timeout. (Requests arriving from now on get fastify's 503, which closes too.)
    for (const exchange of this.#connections.values()) {
      if (exchange !== undefined && !exchange.response.headersSent) exchange.response.setHeader('connection', 'close');
    }
    this.#stopping.abort(new HeraldError('HERALD_SHUTTING_DOWN', 'the HTTP server is stopping'));
    const closed = this.#app.close();
    const grace = setTimeout(() => this.#cutUnserved(), Math.min(this.#options.shutdownGraceMs, budgetMs / 2));
    try {
      if (!Number.isFinite(budgetMs)) return await closed;
      let timer: NodeJS.Timeout | undefined;
      const inTime = await Promise.race([
        closed.then(() => true),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), budgetMs - CUT_MARGIN_MS))),
      ]).finally(() => clearTimeout(timer));
      if (inTime) return;
      const running = [...this.#connections.values()].filter((exchange) => serving(exchange)).length;
      this.#app.server.closeAllConnections();
      throw new HeraldError('HERALD_TIMEOUT', `${running} HTTP request(s) still running were cut at the deadline`);
    } finally {
      clearTimeout(grace);
    }
  }

  /** Cuts every connection that is not serving a request received in full. */
  #cutUnserved(): void {
    for (const [socket, exchange] of this.#connections) {
      if (!serving(exchange) || !exchange.request.complete) socket.destroy();
    }
  }
}

/** A connection's last request and its response. */
interface Exchange {
  request: IncomingMessage;
  response: ServerResponse;
}

/** Whether a connection is serving a request: one was received and its response is not finished. */
function serving(exchange: Exchange | undefined): exchange is Exchange {
  return exchange !== undefined && !exchange.response.writableFinished;
}
