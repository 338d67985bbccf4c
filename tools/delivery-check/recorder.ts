import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SIGNATURE_HEADER, verify } from '../../services/delivery/signature.ts';

/** One request a recording destination accepted (answered 2xx). */
export interface Receipt {
  /** The `Idempotency-Key` header: Herald's event id. */
  id: string;
  userId: string;
  /** `payload.seq` when the payload carries one (the load generators number each user's events). */
  seq: number | undefined;
  /** performance.now() of the check process when accepted. */
  at: number;
  body: unknown;
  headers: http.IncomingHttpHeaders;
}

/** What to answer to one request: a status, or `'hang'` (never answer), or `'reset'` (drop the connection). */
export type Answer = number | 'hang' | 'reset';

export interface RecorderOptions {
  /** Probability of answering 500. Default 0. */
  failureRate?: number;
  minLatencyMs?: number;
  maxLatencyMs?: number;
  /** When set, requests without a valid signature are answered 401 and counted in `badSignatures`. */
  secret?: string;
  random?: () => number;
  /** Keep every request in `log` (tests); off for load runs. */
  logRequests?: boolean;
}

/**
 * A destination on loopback that records what it accepts, for the delivery check and the tests. By default it
 * answers 200 (or 500 with `failureRate`) after a random latency; `answer` overrides the decision per request.
 */
/** One request as the destination saw it, whatever it answered. */
export interface RequestLogEntry {
  id: string;
  userId: string;
  seq: number | undefined;
  answer: Answer;
  at: number;
}

export class RecordingDestination {
  readonly receipts: Receipt[] = [];
  /** Every request in arrival order (kept only with `logRequests`). */
  readonly log: RequestLogEntry[] = [];
  requests = 0;
  failures = 0;
  badSignatures = 0;
  /**
   * Decides the answer per request (`undefined`: the default, by failure rate). Tests swap it to simulate outages.
   * The latency applies either way.
   */
  answer:
    | ((request: { id: string; userId: string; seq: number | undefined; body: unknown }) => Answer | undefined)
    | undefined;
  readonly #server: http.Server;
  readonly #options: Required<Omit<RecorderOptions, 'secret'>> & { secret?: string };
  readonly #hanging = new Set<http.ServerResponse>();

  private constructor(server: http.Server, options: RecorderOptions) {
    this.#server = server;
    this.#options = {
      failureRate: 0,
      minLatencyMs: 0,
      maxLatencyMs: 0,
      random: Math.random,
      logRequests: false,
      ...options,
    };
  }

  static async start(options: RecorderOptions = {}): Promise<RecordingDestination> {
    const server = http.createServer();
    const self = new RecordingDestination(server, options);
    server.on('request', (req, res) => self.#handle(req, res));
    server.keepAliveTimeout = 60_000;
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return self;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/events`;
  }

  /** Receipts of one user, in arrival order. */
  byUser(): Map<string, Receipt[]> {
    const out = new Map<string, Receipt[]>();
    for (const r of this.receipts) {
      const list = out.get(r.userId);
      if (list === undefined) out.set(r.userId, [r]);
      else list.push(r);
    }
    return out;
  }

  async close(): Promise<void> {
    for (const res of this.#hanging) res.destroy();
    this.#server.closeAllConnections();
    this.#server.close();
    await once(this.#server, 'close');
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      this.requests += 1;
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        body = raw.toString('utf8');
      }
      const b = (typeof body === 'object' && body !== null ? body : {}) as { userId?: unknown; payload?: unknown };
      const payload = (typeof b.payload === 'object' && b.payload !== null ? b.payload : {}) as { seq?: unknown };
      const request = {
        id: String(req.headers['idempotency-key'] ?? ''),
        userId: String(b.userId ?? ''),
        seq: typeof payload.seq === 'number' ? payload.seq : undefined,
        body,
      };
      const { secret } = this.#options;
      if (secret !== undefined && !verify(secret, raw, String(req.headers[SIGNATURE_HEADER] ?? ''))) {
        this.badSignatures += 1;
        res.writeHead(401).end('bad signature');
        return;
      }
      const answer = this.answer?.(request) ?? this.#decide();
      if (this.#options.logRequests)
        this.log.push({ id: request.id, userId: request.userId, seq: request.seq, answer, at: performance.now() });
      const reply = () => {
        if (answer === 'hang') {
          this.#hanging.add(res);
          res.on('close', () => this.#hanging.delete(res));
          return;
        }
        if (answer === 'reset') return void req.socket.destroy();
        if (answer >= 200 && answer < 300) {
          this.receipts.push({ ...request, at: performance.now(), headers: req.headers });
        } else this.failures += 1;
        res.writeHead(answer, { 'content-type': 'application/json' }).end(JSON.stringify({ status: answer }));
      };
      const { minLatencyMs, maxLatencyMs, random } = this.#options;
      const latency = minLatencyMs + Math.floor(random() * (maxLatencyMs - minLatencyMs + 1));
      if (latency > 0) setTimeout(reply, latency);
      else reply();
    });
  }

  #decide(): Answer {
    return this.#options.random() < this.#options.failureRate ? 500 : 200;
  }
}
