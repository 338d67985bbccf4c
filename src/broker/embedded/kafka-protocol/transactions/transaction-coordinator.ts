/**
 * The Kafka listener's transaction coordinator: transactional ids, their producer id and epoch, and the one
 * transaction each may have open (Kafka's transaction protocol: InitProducerId with a transactional id,
 * AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit, EndTxn, transactional Produce).
 *
 * A transaction's records go into the log when produced (see `OpenTransaction`): readers stop at each partition's
 * last stable offset until EndTxn commits them (with the offsets of its TxnOffsetCommits, in the same write) or
 * aborts them (they are removed from the log). No transaction markers are written: the offsets of an aborted
 * transaction are a gap, and a read_committed Fetch needs no aborted-transactions list.
 *
 * Fencing: InitProducerId for a transactional id bumps its epoch, aborting the transaction the previous holder left
 * open; requests with an older epoch are refused (PRODUCER_FENCED, or INVALID_PRODUCER_EPOCH where the version
 * predates it). A transaction open longer than the timeout its producer asked for is aborted and the epoch bumped;
 * the holder may present its identity again (KIP-360/588) and is given the next epoch, while a holder fenced by a
 * newer instance is refused.
 *
 * State lives in memory: after a restart every transactional id is new, and transactions that were open are
 * aborted at start-up by the broker (`abortOpenTransactions`).
 */
import type { Logger } from 'pino';
import { OpenTransaction } from '../../open-transaction.ts';
import type { PartitionLog } from '../../partition-log.ts';
import type { OffsetCommit, Writer } from '../../writer.ts';
import { kafkaCodeOf } from '../apis/topic-errors.ts';
import type { ProducerStates } from '../records/producer-states.ts';
import { KafkaError, type KafkaErrorCode } from '../wire/errors.ts';

/** Longest transaction timeout a producer may ask for (Kafka's `transaction.max.timeout.ms` default). */
export const MAX_TRANSACTION_TIMEOUT_MS = 900_000;
/** Highest epoch given out before a transactional id gets a new producer id (Kafka leaves room for one bump). */
const MAX_EPOCH = 32_766;
/** A transactional id unused this long is forgotten (Kafka's `transactional.id.expiration.ms` default). */
const IDLE_EXPIRY_MS = 7 * 86_400_000;
/** Most transactional ids kept; beyond it the oldest without an open transaction are forgotten first. */
const MAX_IDS = 100_000;

/** The transaction a transactional id has open. */
interface Ongoing {
  readonly transaction: OpenTransaction;
  readonly partitions: Set<PartitionLog>;
  readonly groups: Set<string>;
  /** Offsets of its TxnOffsetCommits, by group and partition; committed with it. */
  readonly offsets: Map<string, OffsetCommit>;
  /** Its appends still being written: EndTxn waits for them. */
  readonly appends: Set<Promise<unknown>>;
  timer: NodeJS.Timeout;
}

interface TransactionalState {
  readonly transactionalId: string;
  producerId: number;
  epoch: number;
  /** The epoch whose transaction timed out (and was aborted): its holder may still initialise again. */
  timedOutEpoch: number;
  timeoutMs: number;
  ongoing: Ongoing | null;
  /** Set while the open transaction is being ended: requests for this id wait (CONCURRENT_TRANSACTIONS). */
  ending: Promise<void> | null;
  /** How the last transaction ended: a retried EndTxn for it is answered NONE again. */
  lastEnd: 'commit' | 'abort' | null;
  usedAt: number;
}

/** A transactional Produce allowed: append with `transaction`, and report the append with `track`. */
export interface TransactionalAppend {
  transaction: OpenTransaction;
  track(append: Promise<unknown>): void;
}

export class TransactionCoordinator {
  readonly #byId = new Map<string, TransactionalState>();
  readonly #byProducer = new Map<number, TransactionalState>();
  readonly #writer: () => Writer;
  readonly #producers: ProducerStates;
  readonly #logger: Logger | undefined;
  #closed = false;

  constructor(writer: () => Writer, producers: ProducerStates, logger?: Logger) {
    this.#writer = writer;
    this.#producers = producers;
    this.#logger = logger;
  }

  /**
   * InitProducerId with a transactional id. A new id gets a producer id at epoch 0. A known one gets its next
   * epoch — fencing the previous holder and aborting its open transaction — when the request names no producer
   * (a new instance) or names the current holder (or the holder whose transaction timed out).
   */
  async init(
    transactionalId: string,
    timeoutMs: number,
    producerId: number,
    epoch: number,
  ): Promise<{ producerId: number; epoch: number } | { error: KafkaErrorCode }> {
    if (this.#closed) return { error: KafkaError.NOT_COORDINATOR };
    if (transactionalId === '') return { error: KafkaError.INVALID_REQUEST };
    if (!(timeoutMs >= 1 && timeoutMs <= MAX_TRANSACTION_TIMEOUT_MS)) {
      return { error: KafkaError.INVALID_TRANSACTION_TIMEOUT };
    }
    const state = this.#byId.get(transactionalId);
    if (state === undefined) {
      if (this.#byId.size >= MAX_IDS) this.#forgetIdle(this.#byId.size - MAX_IDS + 1);
      const granted = this.#newProducerId();
      const fresh: TransactionalState = {
        transactionalId,
        producerId: granted,
        epoch: 0,
        timedOutEpoch: -1,
        timeoutMs,
        ongoing: null,
        ending: null,
        lastEnd: null,
        usedAt: Date.now(),
      };
      this.#byId.set(transactionalId, fresh);
      this.#byProducer.set(granted, fresh);
      return { producerId: granted, epoch: 0 };
    }
    if (state.ending !== null) return { error: KafkaError.CONCURRENT_TRANSACTIONS };
    if (producerId >= 0) {
      const holder = producerId === state.producerId && (epoch === state.epoch || epoch === state.timedOutEpoch);
      if (!holder) return { error: KafkaError.PRODUCER_FENCED };
    }
    if (state.ongoing !== null) {
      const code = await this.#finish(state, state.ongoing, false);
      if (code !== KafkaError.NONE) return { error: code };
    }
    this.#bump(state);
    state.timedOutEpoch = -1;
    state.timeoutMs = timeoutMs;
    state.lastEnd = null;
    state.usedAt = Date.now();
    return { producerId: state.producerId, epoch: state.epoch };
  }

  /** AddPartitionsToTxn: opens the transaction if needed and adds `logs` to it. */
  addPartitions(transactionalId: string, producerId: number, epoch: number, logs: PartitionLog[], fenced: KafkaErrorCode): KafkaErrorCode {
    const state = this.#current(transactionalId, producerId, epoch, fenced);
    if (typeof state === 'number') return state;
    const ongoing = this.#begin(state);
    for (const log of logs) ongoing.partitions.add(log);
    return KafkaError.NONE;
  }

  /** AddOffsetsToTxn: opens the transaction if needed; `group`'s offsets may then be committed in it. */
  addOffsets(transactionalId: string, producerId: number, epoch: number, group: string, fenced: KafkaErrorCode): KafkaErrorCode {
    if (group === '') return KafkaError.INVALID_GROUP_ID;
    const state = this.#current(transactionalId, producerId, epoch, fenced);
    if (typeof state === 'number') return state;
    this.#begin(state).groups.add(group);
    return KafkaError.NONE;
  }

  /**
   * TxnOffsetCommit: whether `group`'s offsets may be committed in the transaction now (its group added by
   * AddOffsetsToTxn), and if so `record` keeps them until it ends.
   */
  commitOffsets(transactionalId: string, producerId: number, epoch: number, group: string): ((commit: OffsetCommit) => void) | KafkaErrorCode {
    const state = this.#current(transactionalId, producerId, epoch, KafkaError.INVALID_PRODUCER_EPOCH);
    if (typeof state === 'number') return state;
    const ongoing = state.ongoing;
    if (ongoing === null || !ongoing.groups.has(group)) return KafkaError.INVALID_TXN_STATE;
    return (commit) => ongoing.offsets.set(`${commit.group}\0${commit.log.id}`, commit);
  }

  /** EndTxn: commits or aborts the open transaction; resolves once it is durable. */
  async end(transactionalId: string, producerId: number, epoch: number, commit: boolean, fenced: KafkaErrorCode): Promise<KafkaErrorCode> {
    const state = this.#current(transactionalId, producerId, epoch, fenced);
    if (typeof state === 'number') return state;
    if (state.ongoing === null) {
      return state.lastEnd === (commit ? 'commit' : 'abort') ? KafkaError.NONE : KafkaError.INVALID_TXN_STATE;
    }
    return this.#finish(state, state.ongoing, commit);
  }

  /**
   * A transactional Produce of producer `producerId` at `epoch` to `log`: allowed only into the open transaction
   * of that producer, at its current epoch, to a partition AddPartitionsToTxn added.
   */
  checkProduce(producerId: number, epoch: number, log: PartitionLog): TransactionalAppend | { code: KafkaErrorCode; message: string } {
    const state = this.#byProducer.get(producerId);
    if (state === undefined) {
      return { code: KafkaError.INVALID_PRODUCER_ID_MAPPING, message: `producer ${producerId} has no transactional id here` };
    }
    if (epoch !== state.epoch) {
      return { code: KafkaError.INVALID_PRODUCER_EPOCH, message: `producer ${producerId}: epoch ${epoch}, current ${state.epoch}` };
    }
    const ongoing = state.ongoing;
    if (state.ending !== null || ongoing === null || !ongoing.partitions.has(log)) {
      return {
        code: KafkaError.INVALID_TXN_STATE,
        message: `${log.topic.name}/${log.partition} is not in an open transaction of producer ${producerId}`,
      };
    }
    state.usedAt = Date.now();
    return {
      transaction: ongoing.transaction,
      track(append) {
        ongoing.appends.add(append);
        const done = () => ongoing.appends.delete(append);
        append.then(done, done);
      },
    };
  }

  /** Forgets transactional ids idle for a week (no transaction open). */
  expire(now = Date.now()): void {
    for (const state of this.#byId.values()) {
      if (this.#idle(state) && now - state.usedAt >= IDLE_EXPIRY_MS) this.#forget(state);
    }
  }

  /** Forgets up to `count` transactional ids without an open transaction, oldest first. */
  #forgetIdle(count: number): void {
    for (const state of this.#byId.values()) {
      if (count <= 0) return;
      if (!this.#idle(state)) continue;
      this.#forget(state);
      count--;
    }
  }

  #idle(state: TransactionalState): boolean {
    return state.ongoing === null && state.ending === null;
  }

  #forget(state: TransactionalState): void {
    this.#byId.delete(state.transactionalId);
    if (this.#byProducer.get(state.producerId) === state) this.#byProducer.delete(state.producerId);
  }

  /** The listener stops: every open transaction is aborted (what cannot be is aborted at the next start). */
  async close(): Promise<void> {
    this.#closed = true;
    const work: Promise<unknown>[] = [];
    for (const state of this.#byId.values()) {
      if (state.ending !== null) work.push(state.ending);
      else if (state.ongoing !== null) work.push(this.#finish(state, state.ongoing, false));
    }
    await Promise.allSettled(work);
    for (const state of this.#byId.values()) if (state.ongoing !== null) clearTimeout(state.ongoing.timer);
  }

  /** The state of `transactionalId` if the request comes from its current producer and epoch, else the error. */
  #current(transactionalId: string, producerId: number, epoch: number, fenced: KafkaErrorCode): TransactionalState | KafkaErrorCode {
    if (this.#closed) return KafkaError.NOT_COORDINATOR;
    const state = this.#byId.get(transactionalId);
    if (state === undefined || state.producerId !== producerId) return KafkaError.INVALID_PRODUCER_ID_MAPPING;
    if (epoch !== state.epoch) return fenced;
    if (state.ending !== null) return KafkaError.CONCURRENT_TRANSACTIONS;
    state.usedAt = Date.now();
    return state;
  }

  #begin(state: TransactionalState): Ongoing {
    if (state.ongoing !== null) return state.ongoing;
    const ongoing: Ongoing = {
      transaction: new OpenTransaction(state.producerId),
      partitions: new Set(),
      groups: new Set(),
      offsets: new Map(),
      appends: new Set(),
      timer: this.#timeoutTimer(state),
    };
    state.ongoing = ongoing;
    state.lastEnd = null;
    return ongoing;
  }

  #timeoutTimer(state: TransactionalState): NodeJS.Timeout {
    const timer = setTimeout(() => void this.#timedOut(state), state.timeoutMs);
    timer.unref();
    return timer;
  }

  /** The open transaction outlived its timeout: abort it and bump the epoch, so its producer learns it was. */
  async #timedOut(state: TransactionalState): Promise<void> {
    const ongoing = state.ongoing;
    if (ongoing === null || state.ending !== null || this.#closed) return;
    const epoch = state.epoch;
    const code = await this.#finish(state, ongoing, false);
    if (code !== KafkaError.NONE || state.epoch !== epoch) return;
    this.#bump(state);
    state.timedOutEpoch = epoch;
    this.#logger?.info(
      { transactionalId: state.transactionalId, producerId: state.producerId, timeoutMs: state.timeoutMs },
      'kafka listener: a transaction outlived its timeout and was aborted',
    );
  }

  /**
   * Ends `ongoing` once its appends have settled: commit (with its offsets) or abort, in one write. On a storage
   * failure it stays open (its timeout armed again) and the error code is returned.
   */
  async #finish(state: TransactionalState, ongoing: Ongoing, commit: boolean): Promise<KafkaErrorCode> {
    clearTimeout(ongoing.timer);
    const work = (async () => {
      await Promise.allSettled([...ongoing.appends]);
      const offsets = commit ? [...ongoing.offsets.values()].filter((c) => !c.log.topic.deleted) : [];
      await this.#writer().endTransaction(ongoing.transaction, commit, offsets);
    })();
    state.ending = work.then(
      () => {},
      () => {},
    );
    try {
      await work;
      state.ongoing = null;
      state.lastEnd = commit ? 'commit' : 'abort';
      return KafkaError.NONE;
    } catch (err) {
      this.#logger?.warn({ err, transactionalId: state.transactionalId }, 'kafka listener: ending a transaction failed');
      if (!this.#closed) ongoing.timer = this.#timeoutTimer(state);
      return kafkaCodeOf(err);
    } finally {
      state.ending = null;
    }
  }

  /** The next epoch, or a new producer id at epoch 0 once the epochs are used up. */
  #bump(state: TransactionalState): void {
    if (state.epoch < MAX_EPOCH) {
      state.epoch += 1;
      return;
    }
    if (this.#byProducer.get(state.producerId) === state) this.#byProducer.delete(state.producerId);
    state.producerId = this.#newProducerId();
    state.epoch = 0;
    this.#byProducer.set(state.producerId, state);
  }

  #newProducerId(): number {
    const granted = this.#producers.init(-1, -1);
    if ('error' in granted) throw new Error('a new producer id was refused'); // never: -1 always gets a new id
    return granted.producerId;
  }
}
