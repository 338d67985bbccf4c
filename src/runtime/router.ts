import type { Codec } from '../codec/codec.ts';
import { HeraldError } from '../errors.ts';
import { buildChain } from './chain.ts';
import { GroupRunner, type Route } from './group-runner.ts';
import { handlerMetrics } from './handler-metrics.ts';
import type { Handler, Middleware } from './message.ts';
import { deadLetter } from './middleware/dlq.ts';
import { metrics } from './middleware/metrics.ts';
import { retry } from './middleware/retry.ts';
import { timeout } from './middleware/timeout.ts';
import { tracing } from './middleware/tracing.ts';
import { type TopicDeclaration, uses } from '../topology/declaration.ts';
import { provisionTopology } from '../topology/provision.ts';
import type { PartitionHooks, Registration } from './message.ts';
import { checkRouterOptions, type HandlerOptions, type RouterOptions, resolveFlow } from './router-options.ts';
import { RouterRuntime } from './router-runtime.ts';

/** One `handle` call: where the handler runs and what it is made of. */
interface RouteEntry {
  registration: Registration;
  route: Route;
  /** The chain's middleware, for their `topics` and `start` hooks. */
  middleware: Middleware<unknown>[];
  outputs: string[];
}

/**
 * Runs message handlers: `handle(topic, group, handler, options)` registers one, `start()` joins one consumer
 * group per distinct group, `stop()` drains and leaves. A lifecycle component (`name`, `start`, `stop`).
 *
 * Guarantees, on every broker:
 * - At-least-once: a partition's committed offset never passes a record that is not done — done meaning the
 *   handler chain resolved (handled, skipped as a duplicate, or dead-lettered). A crash redelivers from there.
 * - Ordering per key (mode `key`, default): records with the same key run one at a time in offset order, retries
 *   included; different keys run concurrently up to `concurrency` per partition. A failing record holds back only
 *   its key. Modes `partition` (one at a time) and `unordered` exist too.
 * - Failures: each handler's chain is, outermost first, tracing → metrics → dead letter → retry → timeout →
 *   router middleware → handler middleware → decode + handler. Retriable errors are retried with backoff; then, or
 *   at once for non-retriable errors (decode, validation), the record goes to `<topic>.<group>.dlq` and counts as
 *   done. With dead letters off, a record that keeps failing blocks its key and its partition's commits.
 * - Backpressure: a partition pauses at `maxInFlight` records not done and resumes at half.
 * - Shutdown and revocation: no new record starts, running ones get `drainTimeoutMs`, progress is committed, then
 *   the group is left.
 */
export class Router {
  readonly name: string;
  /** Stops within the consumers' share of a shutdown. */
  readonly stage = 'consumers' as const;
  readonly #options: RouterOptions;
  readonly #middleware: Middleware[] = [];
  readonly #entries: RouteEntry[] = [];
  readonly #runtime: RouterRuntime;
  #runners: GroupRunner[] = [];
  #state: 'new' | 'started' | 'stopped' = 'new';
  #removeLagSources: (() => void)[] = [];

  constructor(options: RouterOptions) {
    checkRouterOptions(options);
    this.#options = options;
    this.name = options.name ?? 'router';
    this.#runtime = new RouterRuntime(options.broker, options.logger);
    if (options.middleware) this.#middleware.push(...options.middleware);
  }

  /** Adds middleware for the handlers registered after this call, after the router's `middleware` option. */
  use(...middleware: Middleware[]): this {
    this.#assertNew('use');
    this.#middleware.push(...middleware);
    return this;
  }

  /**
   * Registers `handler` for `topic` in consumer `group` (before `start`). One handler per topic and group; a topic
   * may have handlers in several groups (each gets every record).
   */
  handle<T>(topic: string, group: string, handler: Handler<T>, options: HandlerOptions<T> & { codec: Codec<T> }): this;
  handle(topic: string, group: string, handler: Handler<Buffer | null>, options?: HandlerOptions<Buffer | null>): this;
  handle<T>(topic: string, group: string, handler: Handler<T>, options: HandlerOptions<T> = {}): this {
    this.#assertNew('handle');
    if (typeof topic !== 'string' || topic === '') throw invalid('topic must be a non-empty string');
    if (typeof group !== 'string' || group === '') throw invalid('group must be a non-empty string');
    if (typeof handler !== 'function') throw invalid('handler must be a function');
    if (this.#entries.some(({ registration: r }) => r.topic === topic && r.group === group))
      throw invalid(`a handler for topic ${topic} in group ${group} is registered already`);
    const flow = resolveFlow(this.#options, options);
    const builtIn: Middleware<T>[] = [];
    if (this.#options.tracing !== false) builtIn.push(tracing(this.#options.tracing));
    if (this.#options.metrics) builtIn.push(metrics(this.#options.metrics.registry));
    if (flow.deadLetter !== false) builtIn.push(deadLetter(flow.deadLetter));
    if (flow.retry !== false) builtIn.push(retry(flow.retry));
    if (flow.timeoutMs !== false) builtIn.push(timeout(flow.timeoutMs));
    // Router middleware is written for any message type; it sees a Message<T> as a Message<unknown>.
    const shared = this.#middleware as unknown as Middleware<T>[];
    // Decodes before the handler runs, so that undecodable records fail (and are dead-lettered) even when the
    // handler would not read the value.
    const decoding: Handler<T> = (message) => {
      void message.value;
      return handler(message);
    };
    const middleware = [...builtIn, ...shared, ...(options.middleware ?? [])];
    const chain = buildChain(middleware, decoding);
    const registration: Registration = { topic, group, router: this.name, runtime: this.#runtime };
    const hooks = [...(middleware as PartitionHooks[]), ...(options.hooks === undefined ? [] : [options.hooks])].filter(
      (h) => h.onAssigned !== undefined || h.beforeCommit !== undefined || h.onRevoked !== undefined,
    );
    this.#entries.push({
      registration,
      middleware: middleware as Middleware<unknown>[],
      outputs: [...(options.outputs ?? [])],
      route: {
        topic,
        registration,
        hooks,
        chain: chain as unknown as Route['chain'],
        codec: options.codec as Route['codec'],
        mode: flow.mode,
        concurrency: flow.concurrency,
        maxInFlight: flow.maxInFlight,
      },
    });
    return this;
  }

  /**
   * The topics this router reads and writes, as registered so far: each handler's input and declared outputs
   * (used, not created) and what its middleware needs (dead-letter topics, the dedupe topic; created).
   */
  topology(): TopicDeclaration[] {
    const out: TopicDeclaration[] = [];
    for (const { registration, middleware, outputs } of this.#entries) {
      const owner = `router ${this.name}, group ${registration.group}`;
      out.push(uses(owner, 'input', registration.topic));
      for (const output of outputs) out.push(uses(owner, 'output', output));
      for (const m of middleware) out.push(...(m.topics?.(registration) ?? []));
    }
    return out;
  }

  /**
   * Checks and creates the router's topology (`provisionTopology`: what exists is left as it is, so under `boot`,
   * which provisioned every service's topology already, this creates nothing), runs the middleware `start` hooks,
   * then joins every group (concurrently); resolves once all have joined. If anything fails, what started is
   * stopped and the error is rethrown.
   */
  async start(): Promise<void> {
    this.#assertNew('start');
    this.#state = 'started';
    try {
      await provisionTopology(this.#options.broker.admin, this.topology(), { lookUpUsed: false });
      for (const { registration, middleware } of this.#entries) {
        for (const m of middleware) await m.start?.(registration);
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
    const { broker, logger, consumer, commitIntervalMs = 1_000, drainTimeoutMs = 5_000 } = this.#options;
    const groups = [...new Set(this.#entries.map((e) => e.registration.group))];
    this.#runners = groups.map(
      (group) =>
        new GroupRunner({
          broker,
          group,
          routes: this.#entries.filter((e) => e.registration.group === group).map((e) => e.route),
          runtime: this.#runtime,
          logger: logger.child({ component: this.name, group }),
          consumer: { clientId: `${this.name}-${group}`, ...consumer },
          commitIntervalMs,
          drainTimeoutMs,
        }),
    );
    if (this.#options.metrics) {
      const m = handlerMetrics(this.#options.metrics.registry);
      this.#removeLagSources = this.#runners.map((runner) => m.addLagSource(() => runner.lag()));
    }
    const started = await Promise.allSettled(this.#runners.map((runner) => runner.start()));
    const failed = started.find((s) => s.status === 'rejected');
    if (failed !== undefined) {
      await this.stop();
      throw failed.reason;
    }
  }

  /**
   * Stops every group (drain, commit, leave), then the resources middleware shared, then the producer. Within
   * `budgetMs`, records still running get the part of it left after a reserve for committing and leaving.
   */
  async stop(budgetMs = Number.POSITIVE_INFINITY): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    for (const remove of this.#removeLagSources) remove();
    const drainMs = budgetMs * DRAIN_PART;
    const stopped = await Promise.allSettled(this.#runners.map((runner) => runner.stop(drainMs)));
    await this.#runtime.close();
    const failed = stopped.find((s) => s.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  #assertNew(what: string): void {
    if (this.#state !== 'new') throw invalid(`${what}() must be called before start()`);
  }
}

/** Of a stop budget, the part records may use to finish; the rest is for the commit and leaving the group. */
const DRAIN_PART = 0.6;

function invalid(message: string): HeraldError {
  return new HeraldError('HERALD_INVALID_ARGUMENT', message);
}
