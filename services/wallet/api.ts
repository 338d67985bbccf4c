/**
 * The wallet's HTTP API, with the seed's shapes: `POST /api/deposit` appends a deposit to the `deposit` stream and
 * answers once it is durable; `GET /api/check/{wallet_id}` reads the balance and flag views. Errors are
 * `{"error": "...", "code": N}` (the seed's shape, not Herald's envelope).
 */
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { isHeraldError, isRetriable, statusOf, toHeraldError } from '#herald';
import { create, DepositSchema, type Emitter, type Deposit } from './herald.ts';
import { fromMinorUnits, toMinorUnits } from './money.ts';
import type { WalletViews } from './views.ts';

/** Longest wallet id accepted (it is the record key and a path segment). */
export const MAX_WALLET_ID_LENGTH = 128;

export interface WalletApiOptions {
  /** The deposit emitter; resolved per request because it exists only once the API has started. */
  emitter: () => Emitter<Deposit>;
  views: WalletViews;
  /** Event time of an accepted deposit. Default `Date.now`. */
  now?: () => number;
}

export interface CheckResponse {
  wallet_id: string;
  balance: number;
  above_threshold: boolean;
}

/** The wallet id of a body or path, or why it is not one. */
export function checkWalletId(id: unknown): { id: string } | { problem: string } {
  if (id === undefined || id === null) return { problem: 'wallet_id is required' };
  if (typeof id !== 'string') return { problem: 'wallet_id must be a string' };
  if (id.trim() === '') return { problem: 'wallet_id must not be empty' };
  if (id.length > MAX_WALLET_ID_LENGTH) return { problem: `wallet_id must be at most ${MAX_WALLET_ID_LENGTH} characters` };
  return { id };
}

function fail(reply: FastifyReply, code: number, error: string) {
  return reply.code(code).send({ error, code });
}

/** Any error of a wallet route in the seed's shape: a broker that cannot take the deposit is 503, never a 200. */
function walletErrorHandler(err: FastifyError, _request: unknown, reply: FastifyReply) {
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 && !isHeraldError(err))
    return fail(reply, err.statusCode, err.statusCode === 413 ? 'the body is too large' : `invalid request: ${err.message}`);
  const herald = toHeraldError(err);
  const status = isRetriable(herald) ? 503 : statusOf(herald.code);
  return fail(reply, status >= 500 ? (status === 503 ? 503 : 500) : status, herald.message);
}

/**
 * Registers the routes in a scope of their own, where a body sent as `application/x-www-form-urlencoded` is read
 * as JSON too: `curl -d '{"wallet_id": …}'` (the seed's example) sends JSON under that type.
 */
export function registerWalletRoutes(app: FastifyInstance, options: WalletApiOptions): void {
  void app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      try {
        done(null, JSON.parse(body as string));
      } catch {
        done(Object.assign(new Error('the body is not JSON'), { statusCode: 400 }), undefined);
      }
    });
    routes(scope, options);
  });
}

function routes(app: FastifyInstance, options: WalletApiOptions): void {
  const now = options.now ?? Date.now;
  const { views } = options;

  app.post('/api/deposit', { errorHandler: walletErrorHandler }, async (request, reply) => {
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      return fail(reply, 400, 'the body must be a JSON object {"wallet_id": "...", "amount": 35.5}');
    const { wallet_id: rawId, amount: rawAmount } = body as Record<string, unknown>;
    const id = checkWalletId(rawId);
    if ('problem' in id) return fail(reply, 400, id.problem);
    const amount = toMinorUnits(rawAmount);
    if ('problem' in amount) return fail(reply, 400, amount.problem);
    const deposit = create(DepositSchema, { walletId: id.id, amount: amount.minor });
    const position = await options.emitter().emit(id.id, deposit, { timestamp: now() });
    views.deposited(id.id, position);
    return reply.code(200).send({ code: 200, data: null, message: 'success' });
  });

  app.get<{ Params: { wallet_id: string } }>(
    '/api/check/:wallet_id',
    { errorHandler: walletErrorHandler },
    async (request, reply) => {
      const id = checkWalletId(request.params.wallet_id);
      if ('problem' in id) return fail(reply, 400, id.problem);
      const state = await views.read(id.id);
      const answer: CheckResponse = {
        wallet_id: id.id,
        balance: fromMinorUnits(state.balanceMinor),
        above_threshold: state.aboveThreshold,
      };
      return reply.code(200).send(answer);
    },
  );
}
