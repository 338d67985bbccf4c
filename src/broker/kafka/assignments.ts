/**
 * Which partitions the listener owns, and the order in which it hears about changes. Every change — an assignment
 * after a join, a revocation before the next join, the final revocation on close — runs as one task of a queue,
 * so `onAssigned` and `onRevoked` never overlap and always alternate per partition.
 */
import { type Consumer, type GroupAssignment, ListOffsetTimestamps } from '@platformatic/kafka';
import type { Logger } from 'pino';
import { withTimeout } from '../../kit/timeout.ts';
import type { ConsumerListener, RecordPosition, TopicPartition } from '../port.ts';
import type { ResolvedConsumerOptions } from './consumer-options.ts';
import { describeError } from './errors.ts';
import type { Fetcher } from './fetcher.ts';
import { partitionKey } from './fetch-state.ts';

const keyOf = (tp: TopicPartition) => partitionKey(tp.topic, tp.partition);
const keyText = (tp: TopicPartition) => `${tp.topic}/${tp.partition}`;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resolves when `work` does or after `ms`, whichever comes first. */
function bounded(work: Promise<void>, ms: number): Promise<void> {
  return withTimeout(work, ms, () => undefined);
}

/**
 * The group's committed offsets of `topics`, by topic and partition (-1 when none): the library's lookup, or a
 * stable one for a read_committed member (`stable-offsets.ts`).
 */
export type CommittedOffsetsLookup = (topics: { topic: string; partitions: number[] }[]) => Promise<Map<string, bigint[]>>;

export class Assignments {
  readonly #client: Consumer;
  readonly #committedOffsets: CommittedOffsetsLookup;
  readonly #fetcher: Fetcher;
  readonly #listener: ConsumerListener;
  readonly #options: ResolvedConsumerOptions;
  readonly #log: Logger;
  readonly #owned = new Map<string, TopicPartition>();
  readonly #paused = new Set<string>();
  /** Seeks of owned partitions whose fetching has not started yet (starting offsets still being looked up). */
  readonly #sought = new Map<string, number>();
  #queue: Promise<void> = Promise.resolve();
  #revoking = false;
  #closed = false;
  /** Counts joins: an assignment whose offsets are still being looked up is stale once a new join began. */
  #joins = 0;

  constructor(
    client: Consumer,
    fetcher: Fetcher,
    listener: ConsumerListener,
    options: ResolvedConsumerOptions,
    log: Logger,
    committedOffsets: CommittedOffsetsLookup,
  ) {
    this.#committedOffsets = committedOffsets;
    this.#client = client;
    this.#fetcher = fetcher;
    this.#listener = listener;
    this.#options = options;
    this.#log = log;
  }

  owns(tp: TopicPartition): boolean {
    return this.#owned.has(keyOf(tp));
  }

  owned(): TopicPartition[] {
    return [...this.#owned.values()].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  }

  seek(position: RecordPosition): void {
    if (this.#fetcher.has(position)) this.#fetcher.seek(position, position.offset);
    else this.#sought.set(keyOf(position), position.offset);
  }

  setPaused(tp: TopicPartition, paused: boolean): void {
    if (paused) this.#paused.add(keyOf(tp));
    else this.#paused.delete(keyOf(tp));
    this.#fetcher.setPaused(tp, paused);
  }

  /**
   * Called by the library right before it sends JoinGroup; it waits for the returned promise. Revokes everything
   * owned (eager protocol). Bounded by the session timeout: past it the coordinator has expelled this member anyway,
   * and a listener stuck on something that waits for the rejoin (a commit the library retries after rejoining)
   * must not hold the rejoin back forever. A join attempted while a revocation runs (such a retried commit) or
   * after close goes ahead at once.
   */
  beforeJoin(): Promise<void> {
    this.#joins++;
    if (this.#revoking || this.#closed) return Promise.resolve();
    const work = this.#enqueue(() => this.#revoke([...this.#owned.values()], 'rebalance'));
    return bounded(work, this.#options.sessionTimeoutMs);
  }

  /** The library joined the group (SyncGroup done) with this assignment. */
  joined(assignment: GroupAssignment[]): void {
    const joins = this.#joins;
    const next = assignment.flatMap(({ topic, partitions }) => partitions.map((partition) => ({ topic, partition })));
    void this.#enqueue(() => this.#assign(next, joins));
  }

  /** Resolves when every change queued so far was handled. */
  settled(): Promise<void> {
    return this.#queue;
  }

  /** Stops fetching, waits for in-flight batches, revokes everything. No assignment is taken after this. */
  close(): Promise<void> {
    this.#closed = true;
    return this.#enqueue(async () => {
      const owned = [...this.#owned.values()];
      await this.#fetcher.stop();
      await this.#revoke(owned, 'close');
    });
  }

  #enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(task).catch((err: unknown) => {
      this.#log.error({ err }, 'kafka consumer assignment change failed');
    });
    this.#queue = run;
    return run;
  }

  async #revoke(partitions: TopicPartition[], why: string): Promise<void> {
    if (partitions.length === 0) return;
    this.#log.info({ partitions: partitions.map(keyText), why }, 'revoking partitions');
    this.#revoking = true;
    try {
      await this.#fetcher.remove(partitions);
      try {
        await this.#listener.onRevoked?.(partitions);
      } catch (err) {
        this.#log.warn({ err, why }, 'onRevoked failed');
      }
    } finally {
      for (const tp of partitions) {
        const key = keyOf(tp);
        this.#owned.delete(key);
        this.#paused.delete(key);
        this.#sought.delete(key);
      }
      this.#revoking = false;
    }
  }

  async #assign(next: TopicPartition[], joins: number): Promise<void> {
    if (this.#closed) return;
    const nextKeys = new Set(next.map(keyOf));
    // Owned partitions missing from a new assignment were not revoked before the join (only possible if the join
    // did not go through beforeJoin): revoke them now, late rather than never.
    const lost = [...this.#owned.values()].filter((tp) => !nextKeys.has(keyOf(tp)));
    if (lost.length > 0) {
      this.#log.warn({ lost }, 'partitions reassigned without a prior revocation');
      await this.#revoke(lost, 'lost');
    }
    const added = next.filter((tp) => !this.#owned.has(keyOf(tp)));
    if (added.length === 0) return;
    for (const tp of added) this.#owned.set(keyOf(tp), tp);
    this.#log.info({ partitions: added.map(keyText) }, 'assigned partitions');
    try {
      await this.#listener.onAssigned?.(added);
    } catch (err) {
      this.#log.warn({ err }, 'onAssigned failed');
    }
    const offsets = await this.#startingOffsets(added, joins);
    if (offsets === null) return;
    for (const tp of added) {
      const key = keyOf(tp);
      if (!this.#owned.has(key) || this.#closed) continue;
      const offset = this.#sought.get(key) ?? offsets.get(key) ?? 0;
      this.#sought.delete(key);
      this.#fetcher.add(tp, offset);
      if (this.#paused.has(key)) this.#fetcher.setPaused(tp, true);
    }
  }

  /** Committed offsets, else `startAt`; retried until they are known or a newer join made them moot (`null`). */
  async #startingOffsets(partitions: TopicPartition[], joins: number): Promise<Map<string, number> | null> {
    for (let attempt = 1; ; attempt++) {
      if (joins !== this.#joins || this.#closed) return null;
      try {
        return await this.#lookUpStartingOffsets(partitions);
      } catch (err) {
        this.#log.warn({ err: describeError(err), attempt }, 'kafka starting offsets lookup failed; retrying');
        await sleep(Math.min(5_000, 500 * attempt));
      }
    }
  }

  async #lookUpStartingOffsets(partitions: TopicPartition[]): Promise<Map<string, number>> {
    const byTopic = new Map<string, number[]>();
    for (const { topic, partition } of partitions) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
    const committed = await this.#committedOffsets([...byTopic].map(([topic, list]) => ({ topic, partitions: list })));
    const offsets = new Map<string, number>();
    const missing = new Map<string, number[]>();
    for (const [topic, list] of byTopic) {
      for (const partition of list) {
        const offset = committed.get(topic)?.[partition] ?? -1n;
        if (offset >= 0n) offsets.set(partitionKey(topic, partition), Number(offset));
        else missing.set(topic, [...(missing.get(topic) ?? []), partition]);
      }
    }
    if (missing.size === 0) return offsets;
    const timestamp = this.#options.startAt === 'latest' ? ListOffsetTimestamps.LATEST : ListOffsetTimestamps.EARLIEST;
    const found = await this.#client.listOffsets({
      topics: [...missing.keys()],
      partitions: Object.fromEntries(missing),
      timestamp,
    });
    for (const [topic, list] of missing) {
      for (const partition of list) {
        offsets.set(partitionKey(topic, partition), Number(found.get(topic)?.[partition] ?? 0n));
      }
    }
    return offsets;
  }
}
