import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorCode, HeraldError } from '../errors.ts';
import { maskSecrets, maskText } from '../kit/secrets.ts';

/** The one place Herald's error codes become HTTP statuses: every code has one (a new code will not compile without). */
const STATUS: Record<ErrorCode, number> = {
  HERALD_CONFIG_INVALID: 500,
  HERALD_INVALID_ARGUMENT: 400,
  HERALD_VALIDATION_FAILED: 400,
  HERALD_DECODE_FAILED: 400,
  HERALD_PAYLOAD_TOO_LARGE: 413,
  HERALD_HEADERS_TOO_LARGE: 431,
  HERALD_URI_TOO_LONG: 414,
  HERALD_UNSUPPORTED_MEDIA_TYPE: 415,
  HERALD_METHOD_NOT_ALLOWED: 405,
  HERALD_REQUEST_TIMEOUT: 408,
  HERALD_NOT_FOUND: 404,
  HERALD_ROUTE_NOT_FOUND: 404,
  HERALD_UNAUTHORIZED: 401,
  HERALD_FORBIDDEN: 403,
  HERALD_TOPIC_NOT_FOUND: 404,
  HERALD_TOPIC_EXISTS: 409,
  HERALD_PARTITION_OUT_OF_RANGE: 400,
  HERALD_OFFSET_OUT_OF_RANGE: 400,
  HERALD_GROUP_NOT_FOUND: 404,
  HERALD_NOT_ASSIGNED: 409,
  HERALD_FENCED: 409,
  HERALD_COPARTITION_MISMATCH: 409,
  HERALD_DATA_DIR_LOCKED: 503,
  HERALD_STORAGE_FAILED: 503,
  HERALD_STORAGE_CORRUPT: 500,
  HERALD_STORAGE_MISSING: 500,
  HERALD_ADDRESS_IN_USE: 500,
  HERALD_BROKER_UNAVAILABLE: 503,
  HERALD_BROKER_CLOSED: 503,
  HERALD_REBALANCE_IN_PROGRESS: 503,
  HERALD_GROUP_IN_USE: 409,
  HERALD_TIMEOUT: 504,
  HERALD_SHUTTING_DOWN: 503,
  HERALD_HANDLER_FAILED: 500,
  HERALD_DESTINATION_FAILED: 502,
  HERALD_TOPOLOGY_INVALID: 500,
  HERALD_STATE_CORRUPT: 500,
  HERALD_INTERNAL: 500,
};

/** HTTP status for a Herald error code. */
export function statusOf(code: ErrorCode): number {
  return STATUS[code];
}

/** The default error body: `{"error": {"code", "message", "details"?}}`. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

/**
 * Turns anything thrown in a route (Herald errors, fastify's validation / body-limit / JSON errors, bugs) into a
 * Herald error. Unknown errors become `HERALD_INTERNAL` without leaking their message.
 */
export function toHeraldError(err: unknown): HeraldError {
  if (err instanceof HeraldError) return err;
  const fe = err as Partial<FastifyError> & {
    validation?: { instancePath: string; message?: string; params?: unknown }[];
  };
  if (fe.validation) {
    const details = fe.validation.map((v) => ({
      field: fieldName(fe.validationContext, v.instancePath, v.params),
      message: v.message ?? 'is invalid',
    }));
    return new HeraldError('HERALD_VALIDATION_FAILED', fe.message, { details, cause: err });
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HeraldError('HERALD_PAYLOAD_TOO_LARGE', 'request body is larger than allowed', { cause: err });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HeraldError('HERALD_UNSUPPORTED_MEDIA_TYPE', fe.message, { cause: err });
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new HeraldError('HERALD_URI_TOO_LONG', 'a path parameter of the URL is longer than allowed', { cause: err });
    case 'FST_ERR_BAD_URL':
      return new HeraldError('HERALD_VALIDATION_FAILED', 'the request URL is malformed', { cause: err });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new HeraldError('HERALD_VALIDATION_FAILED', fe.message, { cause: err });
  }
  if (err instanceof SyntaxError || fe.statusCode === 400) {
    return new HeraldError('HERALD_VALIDATION_FAILED', `request body is not valid JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return new HeraldError('HERALD_INTERNAL', undefined, { cause: err });
}

function fieldName(part: string | undefined, path: string, params: unknown): string {
  const p = params as { missingProperty?: string; additionalProperty?: string } | undefined;
  const dotted = path.replace(/^\//, '').replaceAll('/', '.');
  const name = [dotted, p?.missingProperty ?? p?.additionalProperty].filter(Boolean).join('.');
  return part && part !== 'body' ? `${part}.${name}` : name || (part ?? 'body');
}

/**
 * What an answer to `err` says: its coded error, its HTTP status and its message with credentials masked (an error
 * may quote a URL or a value that holds one). Logs 5xx at error level with the cause.
 */
export function errorAnswer(err: unknown, request: FastifyRequest): { herald: HeraldError; status: number; message: string } {
  const herald = toHeraldError(err);
  const status = statusOf(herald.code);
  if (status >= 500) request.log.error({ err: herald.cause ?? herald, code: herald.code }, herald.message);
  return { herald, status, message: maskText(herald.message) };
}

/** Fastify error handler answering with the default envelope (see {@link errorAnswer}). */
export function sendError(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { herald, status, message } = errorAnswer(err, request);
  const body: ErrorBody = { error: { code: herald.code, message } };
  if (herald.details !== undefined) body.error.details = maskSecrets(herald.details);
  return reply.status(status).send(body);
}
