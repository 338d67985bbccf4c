import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Component } from '../runtime/lifecycle.ts';

/**
 * The HTTP listener as a lifecycle component. `stop()` stops accepting connections (new requests on open
 * connections get 503), closes idle keep-alive connections and resolves once in-flight requests have completed.
 */
export class HttpServer implements Component {
  readonly name = 'http';
  readonly #app: FastifyInstance;
  readonly #port: number;
  readonly #host: string;

  constructor(app: FastifyInstance, port: number, host: string) {
    this.#app = app;
    this.#port = port;
    this.#host = host;
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
    await this.#app.close();
  }
}
