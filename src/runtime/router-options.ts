import type { TracerProvider } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Broker, ConsumerOptions } from '../broker/port.ts';
import type { Codec } from '../codec/codec.ts';
import { HeraldError } from '../errors.ts';
import { type RetryPolicy, retryPolicy } from './backoff.ts';
import type { OrderingMode } from './key-scheduler.ts';
import type { Middleware, PartitionHooks } from './message.ts';
import type { DeadLetterOptions } from './middleware/dlq.ts';

/** How the records of one handler's partitions are run. Every field has a default; handlers override the router's. */
export interface FlowOptions {
  /** Default `key`: same key in order, different keys concurrently (see {@link OrderingMode}). */
  mode?: OrderingMode;
  /** Records of one partition running at once. Default 16 (1 in `partition` mode). */
  concurrency?: number;
  /** Records of one partition handed over and not done at which it pauses (resumes at half). Default 1,000. */
  maxInFlight?: number;
  /** Retry policy, or `false` for none. Default `DEFAULT_RETRY_POLICY` (5 attempts within 60 s). */
  retry?: Partial<RetryPolicy> | false;
  /** Dead-letter settings, or `false` to keep failing records (they then block their key). Default on. */
  deadLetter?: DeadLetterOptions | false;
  /** Fails an attempt after this long (`HERALD_TIMEOUT`, retriable). Default none. */
  timeoutMs?: number | false;
}

export interface RouterOptions extends FlowOptions {
  broker: Broker;
  logger: Logger;
  /** Component name (logs, lifecycle). Default `router`. */
  name?: string;
  /** Registers `herald_handler_*` metrics here (pass `ServiceContext.metrics`); none without it. */
  metrics?: { registry: Registry };
  /** Spans go here; default the global provider. `false` disables the tracing middleware. */
  tracing?: { tracerProvider?: TracerProvider } | false;
  /** Middleware for every handler, inside the built-in ones (runs once per attempt). */
  middleware?: Middleware[];
  /** Consumer settings for every group of the router. */
  consumer?: Pick<ConsumerOptions, 'startAt' | 'maxBatchSize' | 'sessionTimeoutMs' | 'clientId'>;
  /** Most time between a record completing and its commit. Default 1,000 ms. */
  commitIntervalMs?: number;
  /**
   * On revocation or stop: how long running records may finish before they are abandoned. Keep it below the
   * consumer session timeout (Kafka stops heartbeating meanwhile) and the shutdown timeout. Default 5,000 ms.
   */
  drainTimeoutMs?: number;
}

export interface HandlerOptions<T> extends FlowOptions {
  /** Decodes `message.value`; without one it is the raw `Buffer | null`. */
  codec?: Codec<T>;
  /** Middleware for this handler only, inside the router's. */
  middleware?: Middleware<T>[];
  /**
   * Topics the handler produces to: part of the router's declared topology (used, not created, by the router —
   * the service declares how to create them).
   */
  outputs?: string[];
  /** Per-partition hooks for this handler (after those of its middleware): see {@link PartitionHooks}. */
  hooks?: PartitionHooks;
}

export interface ResolvedFlow {
  mode: OrderingMode;
  concurrency: number;
  maxInFlight: number;
  retry: Partial<RetryPolicy> | false;
  deadLetter: DeadLetterOptions | false;
  timeoutMs: number | false;
}

const MODES: readonly OrderingMode[] = ['key', 'partition', 'unordered'];

function invalid(message: string): HeraldError {
  return new HeraldError('HERALD_INVALID_ARGUMENT', message);
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw invalid(`${name} must be a positive integer, not ${value}`);
  return value;
}

/** Handler settings over router settings over defaults, checked once (`HERALD_INVALID_ARGUMENT`). */
export function resolveFlow(router: FlowOptions, handler: FlowOptions): ResolvedFlow {
  const pick = <K extends keyof FlowOptions>(key: K) => handler[key] ?? router[key];
  const mode = pick('mode') ?? 'key';
  if (!MODES.includes(mode)) throw invalid(`mode must be one of ${MODES.join(', ')}, not ${String(mode)}`);
  const timeoutMs = pick('timeoutMs') ?? false;
  if (timeoutMs !== false) positiveInteger(timeoutMs, 'timeoutMs');
  const retry = pick('retry') ?? {};
  if (retry !== false) retryPolicy(retry);
  return {
    mode,
    concurrency: positiveInteger(pick('concurrency') ?? 16, 'concurrency'),
    maxInFlight: positiveInteger(pick('maxInFlight') ?? 1_000, 'maxInFlight'),
    retry,
    deadLetter: pick('deadLetter') ?? {},
    timeoutMs,
  };
}

export function checkRouterOptions(options: RouterOptions): void {
  if (options.commitIntervalMs !== undefined) positiveInteger(options.commitIntervalMs, 'commitIntervalMs');
  if (options.drainTimeoutMs !== undefined && !(options.drainTimeoutMs >= 0))
    throw invalid(`drainTimeoutMs must be >= 0, not ${options.drainTimeoutMs}`);
  resolveFlow(options, {});
}
