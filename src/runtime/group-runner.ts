import { AsyncResource } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type {
  Broker,
  BrokerRecord,
  ConsumerOptions,
  GroupConsumer,
  RecordPosition,
  TopicPartition,
} from '../broker/port.ts';
import type { Codec } from '../codec/codec.ts';
import type { Chain } from './chain.ts';
import { Committer } from './committer.ts';
import type { OrderingMode } from './key-scheduler.ts';
import type { PartitionHooks, PartitionScope, Registration, RuntimeContext } from './message.ts';
import { PartitionWorker } from './partition-worker.ts';

/** One topic's handling within a group: the composed chain and how its partitions are worked. */
export interface Route {
  topic: string;
  /** The handler registration the route serves (what partition hooks see). */
  registration: Registration;
  /** Its middleware's and handler's partition hooks, outermost first. */
  hooks: PartitionHooks[];
  chain: Chain<unknown>;
  codec: Codec<unknown> | undefined;
  mode: OrderingMode;
  concurrency: number;
  maxInFlight: number;
}

export interface GroupRunnerOptions {
  broker: Broker;
  group: string;
  routes: Route[];
  runtime: RuntimeContext;
  logger: Logger;
  consumer: Omit<ConsumerOptions, 'group' | 'topics'>;
  commitIntervalMs: number;
  drainTimeoutMs: number;
}

/** Lag of one owned partition: records after this member's position (done, or committed), up to the log end. */
export interface PartitionLag extends TopicPartition {
  group: string;
  lag: number;
}

const tpKey = (tp: TopicPartition) => `${tp.topic}\u0000${tp.partition}`;

/** Longest pause between attempts of an `onAssigned` hook that keeps failing. */
const ASSIGN_RETRY_MAX_MS = 30_000;

/**
 * One consumer-group member serving every route of its group: a {@link PartitionWorker} per owned partition,
 * commits through a {@link Committer}, pause/resume for backpressure.
 *
 * Backpressure uses pause/resume rather than holding the `onRecords` promise: both brokers wait for in-flight
 * `onRecords` calls before a revocation, so a promise held until records drain (retries can take minutes) would
 * stall every rebalance — and on Kafka, which stops heartbeating meanwhile, get the member expelled. With
 * pause/resume `onRecords` returns at once and a revocation is served by `onRevoked` within `drainTimeoutMs`.
 * The cost: a partition can exceed `maxInFlight` by one batch (the batch that filled it).
 */
export class GroupRunner {
  readonly group: string;
  readonly #options: GroupRunnerOptions;
  readonly #routes: Map<string, Route>;
  readonly #workers = new Map<string, PartitionWorker<unknown>>();
  /** Per partition, the hooks running or queued (`onAssigned`, `onRevoked`), so that they never overlap. */
  readonly #hookChains = new Map<string, Promise<void>>();
  #consumer: GroupConsumer | undefined;
  #committer: Committer | undefined;
  /** How long a closing partition waits for its records: `drainTimeoutMs`, or less once stopping on a budget. */
  #drainMs: number;

  constructor(options: GroupRunnerOptions) {
    this.group = options.group;
    this.#options = options;
    this.#drainMs = options.drainTimeoutMs;
    this.#routes = new Map(options.routes.map((route) => [route.topic, route]));
  }

  async start(): Promise<void> {
    const { broker, group, logger, commitIntervalMs } = this.#options;
    const consumer = broker.consumer({ ...this.#options.consumer, group, topics: [...this.#routes.keys()] });
    this.#consumer = consumer;
    this.#committer = new Committer(
      consumer,
      commitIntervalMs,
      logger,
      () => this.#positions(this.#workers.values()),
      (positions) => this.#beforeCommit(positions),
    );
    await consumer.start({
      onAssigned: (partitions) => {
        for (const tp of partitions) this.#open(tp);
      },
      onRecords: (records) => this.#accept(records),
      onRevoked: (partitions) => this.#revoke(partitions),
    });
  }

  /**
   * Stops fetching, drains and commits every owned partition (through `onRevoked`, within `drainTimeoutMs`, or
   * `drainMs` when shorter: the shutdown's share for consumers), and leaves the group.
   */
  async stop(drainMs = Number.POSITIVE_INFINITY): Promise<void> {
    this.#drainMs = Math.min(this.#options.drainTimeoutMs, drainMs);
    this.#committer?.close();
    await this.#consumer?.close();
    // A consumer that closed without revoking (it had lost the group): settle what is left; the consumer is gone,
    // so there is nothing to commit with — the group's next member resumes from the last commit.
    const left = [...this.#workers.values()];
    this.#workers.clear();
    const deadline = Date.now() + this.#drainMs;
    await Promise.all(left.map((worker) => worker.close(deadline)));
    await Promise.all(left.map((worker) => this.#revoked(worker)));
  }

  /** Lag of the partitions this member owns (reads log ends from the broker). */
  async lag(): Promise<PartitionLag[]> {
    const workers = [...this.#workers.values()];
    const topics = [...new Set(workers.map((w) => w.topicPartition.topic))];
    const infos = await Promise.all(topics.map((topic) => this.#options.broker.admin.describeTopic(topic)));
    const latest = new Map(
      infos.flatMap((info) => info.partitions.map((p) => [tpKey({ topic: info.name, partition: p.partition }), p])),
    );
    const out: PartitionLag[] = [];
    for (const worker of workers) {
      const { topic, partition } = worker.topicPartition;
      const end = latest.get(tpKey(worker.topicPartition));
      if (end === undefined) continue;
      const position = worker.tracker.committable ?? this.#committer?.committed(topic, partition) ?? end.earliest;
      out.push({ group: this.group, topic, partition, lag: Math.max(0, end.latest - position) });
    }
    return out;
  }

  #open(tp: TopicPartition): PartitionWorker<unknown> {
    const route = this.#routes.get(tp.topic);
    if (route === undefined) throw new Error(`no route for topic ${tp.topic}`);
    const { group, runtime, logger } = this.#options;
    const worker = new PartitionWorker<unknown>(
      { topic: tp.topic, partition: tp.partition },
      {
        group,
        mode: route.mode,
        concurrency: route.concurrency,
        maxInFlight: route.maxInFlight,
        handler: route.chain.handler,
        chain: route.chain,
        codec: route.codec,
        runtime,
        logger,
        onProgress: () => this.#committer?.schedule(),
        // Called from a record's async context: bound here so that the consumer's fetching, which these restart,
        // does not continue in (and keep alive) the context of whichever record happened to trigger them.
        pause: AsyncResource.bind(() => this.#flow('pause', tp)),
        resume: AsyncResource.bind(() => this.#flow('resume', tp)),
      },
    );
    const previous = this.#workers.get(tpKey(tp));
    // Assigned again without a revocation in between: the old worker's records are handed over anew.
    if (previous !== undefined) void previous.close(Date.now()).then(() => this.#revoked(previous));
    this.#workers.set(tpKey(tp), worker);
    if (route.hooks.some((h) => h.onAssigned !== undefined)) {
      worker.hold();
      void this.#chain(tpKey(tp), () => this.#assigned(worker, route));
    }
    return worker;
  }

  /** The scope partition hooks of `route` see for `tp`. */
  #scope(route: Route, tp: TopicPartition): PartitionScope {
    return {
      ...route.registration,
      partition: tp.partition,
      logger: this.#options.logger.child({ topic: tp.topic, partition: tp.partition }),
    };
  }

  /** Runs `work` after the hooks already running or queued for the partition under `key`. Never rejects. */
  #chain(key: string, work: () => Promise<void>): Promise<void> {
    const run = (this.#hookChains.get(key) ?? Promise.resolve()).then(work).catch((err: unknown) => {
      this.#options.logger.error({ err }, 'partition hook failed');
    });
    this.#hookChains.set(key, run);
    void run.then(() => {
      if (this.#hookChains.get(key) === run) this.#hookChains.delete(key);
    });
    return run;
  }

  /**
   * Runs the route's `onAssigned` hooks for the worker's partition until they all resolve (after a failure, again
   * after a pause, doubling), then lets its records start; gives up when the partition is closed meanwhile.
   */
  async #assigned(worker: PartitionWorker<unknown>, route: Route): Promise<void> {
    const scope = this.#scope(route, worker.topicPartition);
    for (let failures = 0; !worker.closing; failures++) {
      try {
        for (const hooks of route.hooks) await hooks.onAssigned?.(scope);
        worker.release();
        return;
      } catch (err) {
        const retryInMs = Math.min(ASSIGN_RETRY_MAX_MS, 1_000 * 2 ** failures);
        scope.logger.error({ err, retryInMs }, 'onAssigned failed; the partition waits and it is tried again');
        await sleep(retryInMs, undefined, { signal: worker.closingSignal }).catch(() => {});
      }
    }
  }

  /**
   * Runs the route's `onRevoked` hooks for a closed worker, after its `onAssigned` hooks ended — and only if they
   * succeeded: a partition whose `onAssigned` never resolved has nothing open to close.
   */
  #revoked(worker: PartitionWorker<unknown>): Promise<void> {
    const route = this.#routes.get(worker.topicPartition.topic);
    if (route === undefined || !route.hooks.some((h) => h.onRevoked !== undefined)) return Promise.resolve();
    return this.#chain(tpKey(worker.topicPartition), async () => {
      if (worker.held) return;
      const scope = this.#scope(route, worker.topicPartition);
      for (const hooks of route.hooks) {
        try {
          await hooks.onRevoked?.(scope);
        } catch (err) {
          scope.logger.error({ err }, 'onRevoked failed');
        }
      }
    });
  }

  /** The committer's flush step: every `beforeCommit` hook of each partition about to be committed, in turn. */
  async #beforeCommit(positions: RecordPosition[]): Promise<void> {
    for (const position of positions) {
      const route = this.#routes.get(position.topic);
      if (route === undefined || !route.hooks.some((h) => h.beforeCommit !== undefined)) continue;
      const scope = this.#scope(route, position);
      for (const hooks of route.hooks) await hooks.beforeCommit?.(scope, position.offset);
    }
  }

  #flow(action: 'pause' | 'resume', tp: TopicPartition): void {
    try {
      this.#consumer?.[action]([{ topic: tp.topic, partition: tp.partition }]);
    } catch (err) {
      // Revoked meanwhile: the worker is closing and the next owner starts unpaused.
      this.#options.logger.debug({ err, ...tp }, `${action} failed`);
    }
  }

  #accept(records: BrokerRecord[]): void {
    if (records.length === 0) return;
    const tp = { topic: records[0].topic, partition: records[0].partition };
    const worker = this.#workers.get(tpKey(tp)) ?? this.#open(tp);
    worker.accept(records);
  }

  async #revoke(partitions: TopicPartition[]): Promise<void> {
    await this.#drain(partitions.map(tpKey));
  }

  /** Closes the workers under `keys`, commits what they completed, and forgets them. */
  async #drain(keys: string[]): Promise<void> {
    const workers = keys.map((key) => this.#workers.get(key)).filter((w) => w !== undefined);
    const deadline = Date.now() + this.#drainMs;
    await Promise.all(workers.map((worker) => worker.close(deadline)));
    await this.#committer?.flush(() => this.#positions(workers));
    for (const key of keys) this.#workers.delete(key);
    for (const worker of workers) this.#committer?.forget(worker.topicPartition.topic, worker.topicPartition.partition);
    await Promise.all(workers.map((worker) => this.#revoked(worker)));
  }

  #positions(workers: Iterable<PartitionWorker<unknown>>): RecordPosition[] {
    const out: RecordPosition[] = [];
    for (const worker of workers) {
      // A partition whose onAssigned hooks have not resolved has done nothing, and its state is not there to flush.
      if (worker.held) continue;
      const offset = worker.tracker.committable;
      if (offset !== undefined) out.push({ ...worker.topicPartition, offset });
    }
    return out;
  }
}
