/**
 * The bookstore's HTTP API, in the original's shapes:
 *
 * - `GET /api/books?q=&o=` → 200 `[book…]`: title, author or description containing `q` (case-insensitive), page
 *   size 5 (`bookstore.pageSize`), from offset `o`. A non-empty `q` emits one search event — after the search
 *   succeeded, keyed by the query, valued with the user id (`uid` cookie) and the books.
 * - `POST /api/books` `{title, author, published_at, description}` → 201 with the book.
 * - `GET /trends?ps=N&window=1h|24h` → 200 `[{query, count, books, latest}]`, most searched first; `ps` 1–100
 *   (default 10); with `window`, counts are those of the searches in that window by event time.
 * - `GET /recommendations?uid=` → 200 `[{user_id, title, author, score}]`, the top 10; an empty uid → 400.
 *
 * Errors are `{"error": "…"}` naming the field. A search whose event cannot be written still answers its books
 * (the search itself worked), with the header `x-search-event: failed`; the failure is logged and counted in
 * `herald_bookstore_search_events_failed_total` — never silent.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { Producer } from '#herald/broker';
import { HeraldError, statusOf, toHeraldError } from '#herald';
import { withTimeout } from '#herald/kit';
import { bookProblem, toBookInput } from './book.ts';
import { searchEventCodec } from './events.ts';
import type { BookRepository } from './store/repository.ts';
import { uidOf } from './uid.ts';

/** How long a search waits for its event to be durable before answering anyway (and counting the failure). */
const EMIT_TIMEOUT_MS = 2_000;
const WINDOWS: Record<string, number> = { '1h': 3_600_000, '24h': 86_400_000 };

export interface TrendsReader {
  top(n: number, windowMs?: number): unknown[];
}
export interface RecommendationsReader {
  forUser(uid: string): unknown[];
}

export interface BookstoreApiOptions {
  repository: BookRepository;
  pageSize: number;
  searchTopic: string;
  /** The producer of search events; `undefined` while not running. */
  producer: () => Producer | undefined;
  trends?: TrendsReader;
  recommendations?: RecommendationsReader;
  registry: Registry;
  logger: Logger;
}

function badRequest(message: string): HeraldError {
  return new HeraldError('HERALD_INVALID_ARGUMENT', message);
}

/** A query-string integer within bounds, or `fallback` when absent; anything else is a 400 naming `name`. */
function integerParam(value: unknown, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  if (typeof value !== 'string' || !/^-?\d{1,9}$/.test(value)) throw badRequest(`${name} must be an integer`);
  const n = Number(value);
  if (n < min || n > max) throw badRequest(`${name} must be between ${min} and ${max}`);
  return n;
}

function stringParam(value: unknown, name: string, max: number): string {
  if (value === undefined) return '';
  if (typeof value !== 'string') throw badRequest(`${name} must be given once`);
  if (value.length > max) throw badRequest(`${name} must be at most ${max} characters`);
  return value;
}

export function registerBookstoreApi(app: FastifyInstance, options: BookstoreApiOptions): void {
  const failed = new Counter({
    name: 'herald_bookstore_search_events_failed_total',
    help: 'searches answered whose search event could not be written',
    registers: [options.registry],
  });
  void app.register(async (scope) => {
    scope.setErrorHandler((err, request, reply) => sendError(err as Error, request, reply));
    scope.get('/api/books', async (request, reply) => {
      const query = request.query as Record<string, unknown>;
      const q = stringParam(query.q, 'q', 200).trim();
      const offset = integerParam(query.o, 'o', 0, 0, 1_000_000);
      const books = await options.repository.search(q, offset, options.pageSize);
      if (q !== '') {
        try {
          await emit(options, q, uidOf(request.headers.cookie), books);
        } catch (err) {
          failed.inc();
          options.logger.warn({ err: toHeraldError(err), query: q }, 'bookstore: search event not written');
          void reply.header('x-search-event', 'failed');
        }
      }
      return books;
    });
    scope.post('/api/books', async (request, reply) => {
      const problem = bookProblem(request.body);
      if (problem !== null) throw badRequest(problem);
      const book = await options.repository.create(toBookInput(request.body as Record<string, unknown>));
      return reply.status(201).send(book);
    });
    if (options.trends !== undefined) {
      const trends = options.trends;
      scope.get('/trends', async (request) => {
        const query = request.query as Record<string, unknown>;
        const ps = integerParam(query.ps, 'ps', 10, 1, 100);
        const window = stringParam(query.window, 'window', 10);
        if (window !== '' && WINDOWS[window] === undefined) throw badRequest('window must be 1h or 24h');
        return trends.top(ps, window === '' ? undefined : WINDOWS[window]);
      });
    }
    if (options.recommendations !== undefined) {
      const recommendations = options.recommendations;
      scope.get('/recommendations', async (request, reply) => {
        const uid = (request.query as Record<string, unknown>).uid;
        if (typeof uid !== 'string' || uid.trim() === '') {
          return reply.status(400).send({ error: 'Empty uid is not allowed' });
        }
        return recommendations.forUser(uid);
      });
    }
  });
}

async function emit(options: BookstoreApiOptions, q: string, userId: string, books: { id: number; title: string; author: string }[]) {
  const producer = options.producer();
  if (producer === undefined) throw new HeraldError('HERALD_SHUTTING_DOWN', 'the bookstore is not running');
  const value = searchEventCodec.encode({
    user_id: userId,
    books: books.map((b) => ({ id: b.id, title: b.title, author: b.author })),
  });
  await withTimeout(producer.send([{ topic: options.searchTopic, key: Buffer.from(q), value }]), EMIT_TIMEOUT_MS, () => {
    throw new HeraldError('HERALD_TIMEOUT', `search event not acknowledged within ${EMIT_TIMEOUT_MS} ms`);
  });
}

function sendError(err: Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const herald = toHeraldError(err);
  const status = statusOf(herald.code);
  if (status >= 500) request.log.error({ err: herald.cause ?? herald, code: herald.code }, herald.message);
  const message = status === 500 ? 'internal error' : herald.message;
  return reply.status(status).send({ error: message });
}

