/**
 * Herald's error codes. Every error Herald raises on purpose is a {@link HeraldError} with one of these codes.
 * The list is pinned by a test: adding a code is a deliberate change, renaming one breaks users.
 *
 * `retriable` says whether the same operation may succeed if simply tried again later (broker briefly down,
 * timeout) — the handler runtime retries those and skips retries for the rest (bad input, decode errors).
 */
export const ERROR_CODES = {
  HERALD_CONFIG_INVALID: { retriable: false, message: 'configuration is invalid' },
  HERALD_INVALID_ARGUMENT: { retriable: false, message: 'an argument is invalid' },
  HERALD_VALIDATION_FAILED: { retriable: false, message: 'the request failed validation' },
  HERALD_DECODE_FAILED: { retriable: false, message: 'a message could not be decoded' },
  HERALD_PAYLOAD_TOO_LARGE: { retriable: false, message: 'the payload is larger than allowed' },
  HERALD_HEADERS_TOO_LARGE: { retriable: false, message: 'the request headers are larger than allowed' },
  HERALD_URI_TOO_LONG: { retriable: false, message: 'the request URL is longer than allowed' },
  HERALD_UNSUPPORTED_MEDIA_TYPE: { retriable: false, message: 'the request body has a content type not accepted here' },
  HERALD_METHOD_NOT_ALLOWED: { retriable: false, message: 'the route does not accept this method' },
  HERALD_REQUEST_TIMEOUT: { retriable: true, message: 'the request did not arrive in time' },
  HERALD_NOT_FOUND: { retriable: false, message: 'not found' },
  HERALD_ROUTE_NOT_FOUND: { retriable: false, message: 'no such route' },
  HERALD_UNAUTHORIZED: { retriable: false, message: 'authorization is required' },
  HERALD_FORBIDDEN: { retriable: false, message: 'not allowed' },
  HERALD_TOPIC_NOT_FOUND: { retriable: false, message: 'the topic does not exist' },
  HERALD_TOPIC_EXISTS: { retriable: false, message: 'the topic already exists' },
  HERALD_PARTITION_OUT_OF_RANGE: { retriable: false, message: 'the partition does not exist in the topic' },
  HERALD_OFFSET_OUT_OF_RANGE: { retriable: false, message: 'the offset is outside the partition' },
  HERALD_GROUP_NOT_FOUND: { retriable: false, message: 'the consumer group does not exist' },
  HERALD_NOT_ASSIGNED: { retriable: false, message: 'the partition is not assigned to this consumer' },
  HERALD_FENCED: { retriable: false, message: 'a newer instance with the same transactional id took over' },
  HERALD_COPARTITION_MISMATCH: {
    retriable: false,
    message: 'co-partitioned topics do not have the same number of partitions',
  },
  HERALD_DATA_DIR_LOCKED: { retriable: false, message: 'the data directory is owned by another process' },
  HERALD_STORAGE_FAILED: { retriable: true, message: 'the storage layer failed' },
  HERALD_STORAGE_CORRUPT: { retriable: false, message: 'a storage file is damaged' },
  HERALD_STORAGE_MISSING: { retriable: false, message: 'the data directory was initialised but its storage is missing or empty' },
  HERALD_ADDRESS_IN_USE: { retriable: false, message: 'the address to listen on is in use' },
  HERALD_BROKER_UNAVAILABLE: { retriable: true, message: 'the broker is unavailable' },
  HERALD_BROKER_CLOSED: { retriable: false, message: 'the broker client is closed' },
  HERALD_REBALANCE_IN_PROGRESS: { retriable: true, message: 'the consumer group is rebalancing' },
  HERALD_GROUP_IN_USE: { retriable: true, message: 'the consumer group is held by clients of another protocol' },
  HERALD_TIMEOUT: { retriable: true, message: 'the operation timed out' },
  HERALD_SHUTTING_DOWN: { retriable: true, message: 'the process is shutting down' },
  HERALD_HANDLER_FAILED: { retriable: true, message: 'a message handler failed' },
  HERALD_DESTINATION_FAILED: { retriable: true, message: 'a destination rejected or did not answer' },
  HERALD_TOPOLOGY_INVALID: { retriable: false, message: 'the processor topology is invalid' },
  HERALD_STATE_CORRUPT: { retriable: false, message: 'a local state store could not be trusted and was rebuilt' },
  HERALD_INTERNAL: { retriable: false, message: 'an internal error occurred' },
} as const satisfies Record<string, { retriable: boolean; message: string }>;

/** One of Herald's error codes, e.g. `'HERALD_TOPIC_NOT_FOUND'`. */
export type ErrorCode = keyof typeof ERROR_CODES;

export interface HeraldErrorOptions {
  /** The error that led to this one. */
  cause?: unknown;
  /** Overrides the code's default retriability (e.g. a 4xx from a destination is permanent). */
  retriable?: boolean;
  /** Machine-readable detail (field errors, offending values) safe to show to API clients. */
  details?: unknown;
}

/** An error with a stable {@link ErrorCode}, a `retriable` flag and an optional `cause` and `details`. */
export class HeraldError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly details: unknown;

  constructor(code: ErrorCode, message?: string, options: HeraldErrorOptions = {}) {
    super(message ?? ERROR_CODES[code].message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HeraldError';
    this.code = code;
    this.retriable = options.retriable ?? ERROR_CODES[code].retriable;
    this.details = options.details;
  }
}

/** True when `err` is a {@link HeraldError}, optionally with the given code. */
export function isHeraldError(err: unknown, code?: ErrorCode): err is HeraldError {
  return err instanceof HeraldError && (code === undefined || err.code === code);
}

/**
 * Whether retrying may help: Herald errors say so themselves. JavaScript's own errors for bad values and bad code
 * (`TypeError`, `RangeError`, `SyntaxError`, `ReferenceError`, `URIError`) fail the same way on every attempt, so
 * they are not — except a `TypeError` that carries a `cause`, which is how `fetch` reports a network failure.
 * Other unknown errors are assumed transient.
 */
export function isRetriable(err: unknown): boolean {
  if (err instanceof HeraldError) return err.retriable;
  if (err instanceof TypeError) return (err as Error).cause !== undefined;
  return !(
    err instanceof RangeError ||
    err instanceof SyntaxError ||
    err instanceof ReferenceError ||
    err instanceof URIError
  );
}

/**
 * Log fields for a failure that is part of normal operation (a destination refusing, a record that does not decode):
 * a Herald error as `error: {code, message}` on one line — its stack says nothing its code does not — and anything
 * else, a bug more likely, as `err` with its stack, unless `stack` is false (then `error: {message}`).
 */
export function failureLogFields(
  err: unknown,
  { stack = true }: { stack?: boolean } = {},
): { error: { code?: string; message: string } } | { err: unknown } {
  if (isHeraldError(err)) return { error: { code: err.code, message: err.message } };
  if (stack) return { err };
  return { error: { message: err instanceof Error ? err.message : String(err) } };
}
