/**
 * The fetch loop of a group consumer, written on the library's low-level `Consumer.fetch` (one Fetch request to one
 * broker) rather than its `MessagesStream`, because the port needs what the stream does not offer: per-partition
 * backpressure, per-partition pause/resume and seek.
 *
 * Each owned partition has a position (next offset to fetch), a buffer of fetched records not yet handed over and at
 * most one batch in the listener. A partition is fetched again once its buffer is empty — while its last batch may
 * still be in the listener, so the next records are ready when it returns (bounded prefetch: one fetch response per
 * partition). One Fetch request per broker is in flight at a time, for all fetchable partitions it leads.
 */
import {
  type ClusterMetadata,
  type ConnectionPool,
  type Consumer,
  type fetchV17,
  ListOffsetTimestamps,
} from '@platformatic/kafka';
import type { Logger } from 'pino';
import type { BrokerRecord, TopicPartition } from '../port.ts';
import { describeError } from './errors.ts';
import { decodeBatches } from './records.ts';
import { type PartitionState, partitionKey } from './fetch-state.ts';
import { abortedTransactionsOf, unfilteredFetches } from './unfiltered-fetch.ts';

const OFFSET_OUT_OF_RANGE = 1;
/**
 * How long a broker may hold a Fetch while some of the partitions it leads are left out of it (their fetched
 * records still wait for the listener). Only one Fetch per broker is in flight, so a partition that becomes
 * fetchable while a long poll runs waits for that poll to end: with the full wait (250 ms) the wallet's exactly-once
 * processors on Kafka showed a deposit→visible p99 of ~255 ms even at 500 deposits/s, the input partition held back
 * during each transaction.
 */
const HELD_BACK_MAX_WAIT_MS = 10;
/** After a failed fetch or metadata request, wait this long before fetching again. */
const BACKOFF_MS = 500;

export interface FetcherOptions {
  /** Topics whose metadata fetches need; read at every round, so a tail reader may add to it. */
  topics: string[];
  maxBatchSize: number;
  /** How long a broker may hold a Fetch request waiting for new records. */
  maxWaitMs: number;
  /** Most bytes one Fetch response carries per partition (Kafka returns at least one whole batch regardless). */
  partitionMaxBytes: number;
  maxBytes: number;
  /** Drop records of aborted transactions (read_committed); `false` hands over everything appended. */
  readCommitted: boolean;
  /**
   * Also hand over an empty batch when the position moved past offsets without records to hand over (transaction
   * markers, aborted or compacted records), so that the listener learns the position (tail readers).
   */
  reportSkips?: boolean;
  /** Hands a batch (one partition, offset order) to the listener, with the next offset to read after it. */
  deliver(records: BrokerRecord[], next: number, tp: TopicPartition): Promise<void> | void;
}

interface Requested {
  state: PartitionState;
  epoch: number;
  offset: number;
}

const EMPTY: BrokerRecord[] = [];

export class Fetcher {
  readonly #consumer: Consumer;
  readonly #pool: ConnectionPool;
  readonly #options: FetcherOptions;
  readonly #log: Logger;
  readonly #partitions = new Map<string, PartitionState>();
  readonly #nodesInFlight = new Set<number>();
  #scheduled = false;
  #stopped = false;
  #backoffUntil = 0;
  #backoffTimer: NodeJS.Timeout | undefined;
  #lastWarning = '';
  #lastWarningAt = 0;

  constructor(consumer: Consumer, pool: ConnectionPool, options: FetcherOptions, log: Logger) {
    this.#consumer = consumer;
    this.#pool = unfilteredFetches(pool);
    this.#options = options;
    this.#log = log;
  }

  /** Starts fetching `tp` at `offset` and handing its records over. */
  add(tp: TopicPartition, offset: number): void {
    const key = partitionKey(tp.topic, tp.partition);
    const previous = this.#partitions.get(key);
    if (previous !== undefined) previous.removed = true;
    this.#partitions.set(key, {
      topic: tp.topic,
      partition: tp.partition,
      key,
      position: offset,
      reported: offset,
      epoch: 0,
      buffer: EMPTY,
      head: 0,
      paused: false,
      fetching: false,
      busy: null,
      removed: false,
      maxBytes: this.#options.partitionMaxBytes,
    });
    this.#kick();
  }

  has(tp: TopicPartition): boolean {
    return this.#partitions.has(partitionKey(tp.topic, tp.partition));
  }

  /**
   * Stops fetching and handing over `tps` at once (fetched records not handed over are dropped) and resolves when
   * the listener has finished the batches it is working on.
   */
  async remove(tps: TopicPartition[]): Promise<void> {
    const busy: Promise<void>[] = [];
    for (const tp of tps) {
      const key = partitionKey(tp.topic, tp.partition);
      const state = this.#partitions.get(key);
      if (state === undefined) continue;
      this.#partitions.delete(key);
      state.removed = true;
      state.buffer = EMPTY;
      if (state.busy !== null) busy.push(state.busy);
    }
    await Promise.all(busy);
  }

  /** The next records handed over for `tp` start at `offset`. */
  seek(tp: TopicPartition, offset: number): void {
    const state = this.#partitions.get(partitionKey(tp.topic, tp.partition));
    if (state === undefined) return;
    state.position = offset;
    state.reported = offset;
    state.epoch++;
    state.buffer = EMPTY;
    state.head = 0;
    this.#kick();
  }

  /** The `next` of the last batch of `tp` handed over (where the listener stands), or `undefined` if not read. */
  handedOver(tp: TopicPartition): number | undefined {
    return this.#partitions.get(partitionKey(tp.topic, tp.partition))?.reported;
  }

  setPaused(tp: TopicPartition, paused: boolean): void {
    const state = this.#partitions.get(partitionKey(tp.topic, tp.partition));
    if (state === undefined) return;
    state.paused = paused;
    if (!paused) this.#kick();
  }

  /** Stops everything and resolves when the listener has finished its batches. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#backoffTimer);
    await this.remove([...this.#partitions.values()]);
  }

  #kick(): void {
    if (this.#stopped || this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#round();
    });
  }

  #round(): void {
    if (this.#stopped) return;
    const fetchable: PartitionState[] = [];
    // A partition whose records wait for the listener is left out of fetches until they are handed over.
    let heldBack = false;
    for (const state of this.#partitions.values()) {
      this.#handOver(state);
      if (state.paused || state.fetching) continue;
      if (state.head >= state.buffer.length) fetchable.push(state);
      else if (!state.removed) heldBack = true;
    }
    if (fetchable.length === 0) return;
    const wait = this.#backoffUntil - Date.now();
    if (wait > 0) {
      this.#backoffTimer ??= setTimeout(() => {
        this.#backoffTimer = undefined;
        this.#kick();
      }, wait);
      return;
    }
    for (const state of fetchable) state.fetching = true;
    void this.#fetchAll(fetchable, heldBack ? Math.min(HELD_BACK_MAX_WAIT_MS, this.#options.maxWaitMs) : this.#options.maxWaitMs);
  }

  #handOver(state: PartitionState): void {
    if (state.busy !== null || state.paused) return;
    if (state.head >= state.buffer.length) {
      if (this.#options.reportSkips === true && state.position > state.reported) {
        state.reported = state.position;
        state.busy = this.#deliver(state, EMPTY, state.position);
      }
      return;
    }
    const end = Math.min(state.head + this.#options.maxBatchSize, state.buffer.length);
    const batch = state.head === 0 && end === state.buffer.length ? state.buffer : state.buffer.slice(state.head, end);
    let next: number;
    if (end === state.buffer.length) {
      state.buffer = EMPTY;
      state.head = 0;
      next = state.position;
    } else {
      state.head = end;
      next = batch[batch.length - 1].offset + 1;
    }
    state.reported = next;
    state.busy = this.#deliver(state, batch, next);
  }

  async #deliver(state: PartitionState, batch: BrokerRecord[], next: number): Promise<void> {
    try {
      await this.#options.deliver(batch, next, state);
    } catch (err) {
      // The port: a failing listener commits nothing and does not get the records again (unless sought).
      this.#log.warn({ err, topic: state.topic, partition: state.partition }, 'onRecords failed');
    } finally {
      state.busy = null;
      this.#kick();
    }
  }

  #backoff(err: unknown, what: string): void {
    // One line per kind of trouble every 10 s: a broker down for a minute must not flood the log.
    const line = `kafka ${what} failed (${describeError(err)}); retrying every ${BACKOFF_MS} ms`;
    if (line !== this.#lastWarning || Date.now() - this.#lastWarningAt > 10_000) {
      this.#log.warn(line);
      this.#lastWarning = line;
      this.#lastWarningAt = Date.now();
    }
    this.#consumer.clearMetadata();
    this.#backoffUntil = Date.now() + BACKOFF_MS;
  }

  async #fetchAll(states: PartitionState[], maxWaitMs: number): Promise<void> {
    let metadata: ClusterMetadata;
    try {
      metadata = await this.#consumer.metadata({ topics: this.#options.topics });
    } catch (err) {
      for (const state of states) state.fetching = false;
      this.#backoff(err, 'metadata request');
      this.#kick();
      return;
    }
    const byNode = new Map<number, PartitionState[]>();
    let leaderless = false;
    for (const state of states) {
      const leader = metadata.topics.get(state.topic)?.partitions[state.partition]?.leader ?? -1;
      if (state.removed || leader < 0 || this.#nodesInFlight.has(leader)) {
        // Leaderless partitions wait for fresh metadata; the others for their broker's fetch in flight.
        leaderless ||= leader < 0 && !state.removed;
        state.fetching = false;
        continue;
      }
      const list = byNode.get(leader) ?? [];
      list.push(state);
      byNode.set(leader, list);
    }
    if (leaderless) this.#backoff(new Error('a partition has no leader'), 'leader lookup');
    for (const [node, list] of byNode) void this.#fetchFrom(node, list, metadata, maxWaitMs);
    if (leaderless) this.#kick();
  }

  async #fetchFrom(node: number, states: PartitionState[], metadata: ClusterMetadata, maxWaitMs: number): Promise<void> {
    this.#nodesInFlight.add(node);
    const requested = new Map<string, Requested>();
    const topics = new Map<string, fetchV17.FetchRequestTopic>();
    for (const state of states) {
      requested.set(state.key, { state, epoch: state.epoch, offset: state.position });
      const topicId = metadata.topics.get(state.topic)?.id ?? '';
      const entry = topics.get(topicId) ?? { topicId, partitions: [] };
      entry.partitions.push({
        partition: state.partition,
        fetchOffset: BigInt(state.position),
        partitionMaxBytes: state.maxBytes,
        currentLeaderEpoch: -1,
        lastFetchedEpoch: -1,
      });
      topics.set(topicId, entry);
    }
    let response: fetchV17.FetchResponse | undefined;
    let failure: unknown;
    try {
      response = await this.#consumer.fetch({
        node,
        topics: [...topics.values()],
        minBytes: 1,
        maxBytes: this.#options.maxBytes,
        maxWaitTime: maxWaitMs,
        connectionPool: this.#pool,
      });
    } catch (err) {
      failure = err;
      // A partition-level error (e.g. OFFSET_OUT_OF_RANGE) fails the call but still carries the whole response.
      response = (err as { response?: fetchV17.FetchResponse }).response;
    } finally {
      this.#nodesInFlight.delete(node);
      for (const state of states) state.fetching = false;
    }
    if (this.#stopped) return;
    let troubled = failure !== undefined && response?.responses === undefined;
    if (response?.responses !== undefined) troubled = this.#absorb(response, requested, metadata) || troubled;
    if (troubled) this.#backoff(failure ?? new Error('partition error in fetch response'), `fetch from node ${node}`);
    this.#kick();
  }

  /** Buffers the records of a response; returns true when a partition reported an error worth backing off for. */
  #absorb(response: fetchV17.FetchResponse, requested: Map<string, Requested>, metadata: ClusterMetadata): boolean {
    const names = new Map<string, string>();
    for (const [name, topic] of metadata.topics) if (topic !== undefined) names.set(topic.id, name);
    let troubled = false;
    for (const topicResponse of response.responses) {
      const topic = names.get(topicResponse.topicId);
      if (topic === undefined) continue;
      for (const partitionResponse of topicResponse.partitions) {
        const wanted = requested.get(partitionKey(topic, partitionResponse.partitionIndex));
        if (wanted === undefined) continue;
        const { state } = wanted;
        // Revoked, or sought while the request was out: these records are not what the listener expects next.
        if (state.removed || state.epoch !== wanted.epoch) continue;
        if (partitionResponse.errorCode === OFFSET_OUT_OF_RANGE) {
          void this.#reset(state);
          continue;
        }
        if (partitionResponse.errorCode !== 0) {
          troubled = true;
          continue;
        }
        const batches = partitionResponse.records ?? [];
        const records: BrokerRecord[] = [];
        const aborted = this.#options.readCommitted ? abortedTransactionsOf(partitionResponse) : null;
        state.position = decodeBatches(topic, state.partition, batches, wanted.offset, records, undefined, aborted);
        if (state.position > wanted.offset) {
          state.maxBytes = this.#options.partitionMaxBytes;
        } else if (partitionResponse.lastStableOffset > BigInt(wanted.offset)) {
          // Records exist but none came whole: the next batch is larger than the fetch size (Kafka then sends only
          // part of it, unless the partition comes first in the response). Ask for more next time.
          state.maxBytes = Math.min(state.maxBytes * 2, this.#options.maxBytes);
        }
        if (records.length > 0) {
          state.buffer = state.head < state.buffer.length ? state.buffer.slice(state.head).concat(records) : records;
          state.head = 0;
        }
      }
    }
    return troubled;
  }

  /**
   * The position is outside the stored records (retention removed them, or a seek went past the end): clamp it to
   * the nearest stored offset — the earliest when below, the end of the log when beyond.
   */
  async #reset(state: PartitionState): Promise<void> {
    const epoch = state.epoch;
    state.fetching = true;
    try {
      const query = (timestamp: bigint) =>
        this.#consumer.listOffsets({
          topics: [state.topic],
          partitions: { [state.topic]: [state.partition] },
          timestamp,
        });
      const [earliest, latest] = await Promise.all([
        query(ListOffsetTimestamps.EARLIEST),
        query(ListOffsetTimestamps.LATEST),
      ]);
      const low = Number(earliest.get(state.topic)?.[state.partition] ?? 0n);
      const high = Number(latest.get(state.topic)?.[state.partition] ?? 0n);
      if (!state.removed && state.epoch === epoch) {
        const position = Math.min(Math.max(state.position, low), high);
        this.#log.info(
          { topic: state.topic, partition: state.partition, from: state.position, to: position },
          'offset reset',
        );
        state.position = position;
        state.reported = position;
        state.epoch++;
      }
    } catch (err) {
      this.#backoff(err, 'offset reset');
    } finally {
      state.fetching = false;
      this.#kick();
    }
  }
}
