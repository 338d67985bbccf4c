/**
 * Herald's request log. fastify writes two lines a request at info (`incoming request`, `request completed`); here
 * `incoming request` is at `debug`, and what `request completed` lines are written at info depends on the mode:
 *
 * - `summary` (the default): a line for each request that was refused or failed (status ≥ 400) or took longer
 *   than `slowMs`, with its correlation id; the others are counted, and every `summaryEveryMs` one `requests` line
 *   gives, per route, how many were answered, by status class, and their mean, p99 and longest time. At `debug`,
 *   every request gets its line as well.
 * - `every`: a line for every request (fastify's line, with the request in it).
 * - `off`: no request lines (an error the handler did not expect is still logged by the error handler).
 *
 * Why not a line a request by default: writing one cost 8–14 µs of CPU a request on a busy API — a fifth of a
 * durable produce's whole cost (`npm run bench -- ingest`, the API role at info: 15,500–17,900 requests/s against
 * 19,100–20,600 at warn, alternating runs, BENCHMARKS.md) — and at thousands of requests a second nobody reads
 * them one by one; the failures and the slow ones are what someone looks for.
 */
import { type FastifyBaseLogger, type FastifyReply, type FastifyRequest, LogController } from 'fastify';

export type AccessLogMode = 'summary' | 'every' | 'off';

/** The route a request matched (fastify's pattern, `/admin/topics/:name`), or `unmatched` — the request log's and the metrics' name for it. */
export function routeOf(request: FastifyRequest): string {
  return request.routeOptions.url ?? 'unmatched';
}

export interface AccessLogOptions {
  mode: AccessLogMode;
  /** Requests slower than this get a line of their own in `summary` mode. */
  slowMs: number;
  /** How often `summary` mode writes its `requests` line. */
  summaryEveryMs: number;
}

export const DEFAULT_ACCESS_LOG: AccessLogOptions = { mode: 'summary', slowMs: 1_000, summaryEveryMs: 10_000 };

/**
 * Upper bounds (ms) of the response-time buckets a summary's p99 is read from: it says "at most this", which is
 * what a log line needs; exact figures are in the `herald_http_request_duration_seconds` histogram.
 */
const BOUNDS_MS = [0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1_000, 2_000, 5_000, 10_000];

/** Counts of one route since the last summary. */
class RouteCounts {
  count = 0;
  byClass = [0, 0, 0, 0, 0];
  totalMs = 0;
  maxMs = 0;
  readonly buckets = new Array<number>(BOUNDS_MS.length + 1).fill(0);

  add(status: number, ms: number): void {
    this.count++;
    const statusClass = Math.floor(status / 100) - 1;
    if (statusClass >= 0 && statusClass < 5) this.byClass[statusClass]++;
    this.totalMs += ms;
    if (ms > this.maxMs) this.maxMs = ms;
    let i = 0;
    while (i < BOUNDS_MS.length && ms > BOUNDS_MS[i]) i++;
    this.buckets[i]++;
  }

  /** The summary of this route: counts by class (only those seen), mean, p99 (a bucket bound) and longest time. */
  summary(): Record<string, number | string> {
    const out: Record<string, number | string> = { count: this.count };
    this.byClass.forEach((n, i) => {
      if (n > 0) out[`${i + 1}xx`] = n;
    });
    out.meanMs = round(this.totalMs / this.count);
    let seen = 0;
    const rank = Math.ceil(this.count * 0.99);
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i];
      if (seen >= rank) {
        out.p99Ms = i < BOUNDS_MS.length ? `≤${BOUNDS_MS[i]}` : `>${BOUNDS_MS[BOUNDS_MS.length - 1]}`;
        break;
      }
    }
    out.maxMs = round(this.maxMs);
    return out;
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

export class AccessLog extends LogController {
  readonly #options: AccessLogOptions;
  /**
   * method → route pattern (`/api/check/:wallet_id`, not the URL: as many as there are routes) → counts since the
   * last summary. Two lookups instead of one by a joined key, so no key string is made for a request (fastify
   * still builds `request.routeOptions` each time it is read).
   */
  #routes = new Map<string, Map<string, RouteCounts>>();
  #counted = 0;
  #since = Date.now();
  #timer: NodeJS.Timeout | undefined;
  #logger: FastifyBaseLogger | undefined;

  constructor(options: Partial<AccessLogOptions> & { requestIdLogLabel?: string } = {}) {
    super({ requestIdLogLabel: options.requestIdLogLabel });
    this.#options = { ...DEFAULT_ACCESS_LOG, ...options };
  }

  /** Starts writing summaries to `logger` (in `summary` mode). */
  start(logger: FastifyBaseLogger): void {
    this.#logger = logger;
    if (this.#options.mode !== 'summary' || this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.flush(), this.#options.summaryEveryMs);
    this.#timer.unref();
  }

  /** Writes the summary of what was counted since the last one (nothing if nothing was), and stops the timer. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.flush();
  }

  /** Writes the `requests` line now, if anything was counted since the last one. */
  flush(): void {
    const logger = this.#logger;
    if (logger === undefined || this.#counted === 0) return;
    const routes: Record<string, Record<string, number | string>> = {};
    for (const [method, patterns] of this.#routes) {
      for (const [pattern, counts] of patterns) routes[`${method} ${pattern}`] = counts.summary();
    }
    const now = Date.now();
    logger.info({ seconds: round((now - this.#since) / 1000), routes }, 'requests');
    this.#routes = new Map();
    this.#counted = 0;
    this.#since = now;
  }

  override incomingRequest(request: FastifyRequest): void {
    if (this.#options.mode === 'off' || this.isLogDisabled(request)) return;
    request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const mode = this.#options.mode;
    if (mode === 'off' || this.isLogDisabled(request)) return;
    const ms = reply.elapsedTime;
    if (error) {
      reply.log.error({ req: request, res: reply, err: error, responseTime: ms }, 'request errored');
    } else if (mode === 'every' || reply.statusCode >= 400 || ms > this.#options.slowMs) {
      reply.log.info({ req: request, res: reply, responseTime: ms }, 'request completed');
    } else {
      reply.log.debug({ req: request, res: reply, responseTime: ms }, 'request completed');
    }
    if (mode === 'summary') this.#count(request, reply.statusCode, ms);
  }

  #count(request: FastifyRequest, status: number, ms: number): void {
    let patterns = this.#routes.get(request.method);
    if (patterns === undefined) {
      patterns = new Map();
      this.#routes.set(request.method, patterns);
    }
    const pattern = routeOf(request);
    let counts = patterns.get(pattern);
    if (counts === undefined) {
      counts = new RouteCounts();
      patterns.set(pattern, counts);
    }
    counts.add(status, ms);
    this.#counted++;
  }
}
