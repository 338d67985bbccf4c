import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';

/**
 * The HTTP listener as a lifecycle component (`name`, `start`, `stop`). `stop()` stops accepting connections (new requests on open
 * connections get 503), closes idle keep-alive connections and resolves once in-flight requests have completed.
 */
export class HttpServer {
  readonly name = 'http';
  readonly #app: FastifyInstance;
  readonly #port: number;
  readonly #host: string;
  #closing = false;

  /** Must be constructed before the app is ready (it adds a hook). */
  constructor(app: FastifyInstance, port: number, host: string) {
    this.#app = app;
    this.#port = port;
    this.#host = host;
    // Responses finishing during shutdown close their keep-alive connection; otherwise an idle client socket would
    // hold the server open until the keep-alive timeout.
    app.addHook('onSend', async (_request, reply) => {
      if (this.#closing) reply.header('connection', 'close');
    });
  }

  async start(): Promise<void> {
    await this.#app.listen({
      port: this.#port,
      host: this.#host,
      listenTextResolver: (address) => `listening on ${address}`,
    });
  }

  /** The base URL, once started (the real port when configured with 0). */
  get url(): string {
    const address = this.#app.server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}`;
  }

  async stop(): Promise<void> {
    this.#closing = true;
    await this.#app.close();
  }
}
