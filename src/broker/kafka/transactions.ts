/**
 * `GroupConsumer.commitTransaction` on Kafka: a transactional producer owned by one group member. Calls become Kafka
 * transactions (calls made while one is in flight share the next, spaced under load: `transaction-spacing.ts`) —
 * AddPartitionsToTxn (the library), Produce (Herald's own requests, `produce-sender.ts`), AddOffsetsToTxn (the
 * library), ONE TxnOffsetCommit carrying every position (`txn-offset-commit.ts`), EndTxn — aborted on any failure,
 * so a call that rejects leaves nothing visible to read_committed readers. On a cluster with Kafka's second
 * transaction protocol (`transaction-v2.ts`) only Produce, TxnOffsetCommit and EndTxn, Herald's own requests all.
 *
 * Fencing: the producer's `transactional.id` is the consumer's `transactionalId`. `init()` (at consumer start) runs
 * InitProducerId, which bumps the id's epoch: an older instance (a zombie) is fenced at once and its open
 * transaction aborted, so readers do not wait for the transaction timeout. The offsets carry the group's generation
 * and member id (KIP-447): a member that lost its partitions in a rebalance cannot commit them.
 *
 * Only `init()` initialises as a newcomer (producer id -1): every later InitProducerId (a new library producer after
 * a failure) presents this instance's last producer id and epoch (KIP-588), which the coordinator accepts only if
 * no newer instance took over — so a zombie can never fence its successor. That is also how an epoch-over answer
 * is told apart: accepted means the broker had aborted a transaction that outlived `transactionTimeoutMs`
 * (`HERALD_TIMEOUT`, retriable, nothing visible); refused means fenced (`HERALD_FENCED`, for good).
 *
 * After a failed abort (broker unreachable), or a failed produce request (its sequence numbers are then unknown),
 * the library producer is dropped: the next transaction starts from a new InitProducerId, which aborts whatever the
 * broker still holds open for this id and starts a new epoch.
 */
import { type Consumer, ConnectionPool, type MessageRecord, type Producer as LibraryProducer } from '@platformatic/kafka';
import type { Logger } from 'pino';
import { HeraldError } from '../../errors.ts';
import type { CommitChain, OutgoingRecord, RecordPosition, TopicPartition } from '../port.ts';
import { breakChain, checkChain, checkList, checkOutgoing, checkPosition } from '../rules.ts';
import { Accumulator } from './accumulator.ts';
import { coordinatorConnection, transactionCoordinatorConnection } from './coordinator.ts';
import { describeError, toHeraldError } from './errors.ts';
import { isEpochOver, isStaleMember, notAssigned } from './transaction-errors.ts';
import { topicsMetadata } from './metadata.ts';
import { childClientId, type KafkaSettings } from './options.ts';
import { identityOf, ProduceSender } from './produce-sender.ts';
import type { ProducerIdentity } from './record-batches.ts';
import { memberSpacing, type TransactionSpacing } from './transaction-spacing.ts';
import { transactionalProducer } from './transactional-producer.ts';
import { endTransaction, usesTransactionV2 } from './transaction-v2.ts';
import type { PreparedMessages } from './producer.ts';
import { allSucceeded, failCall, mergeCalls, type PendingCall, prepareCalls, settleCalls, takeCalls } from './transaction-calls.ts';
import { commitTransactionOffsets } from './txn-offset-commit.ts';

/** The library's transaction object (its class is not exported by name). */
type Transaction = Awaited<ReturnType<LibraryProducer<Buffer, Buffer, string, string>['beginTransaction']>>;

export interface TransactionalOptions {
  transactionalId: string;
  transactionTimeoutMs: number;
  group: string;
  /** Spaces transactions by this interval in full whatever the load (`ConsumerOptions.transactionIntervalMs`). */
  intervalMs?: number;
}

/** What the committer needs from its consumer. */
export interface TransactionalMember {
  /** The library consumer: its group id, generation, member id and coordinator. */
  client(): Consumer;
  owns(tp: TopicPartition): boolean;
}

export class TransactionalCommitter {
  readonly #settings: KafkaSettings;
  readonly #options: TransactionalOptions;
  readonly #member: TransactionalMember;
  readonly #log: Logger;
  readonly #roundRobin = new Map<string, number>();
  #producer: LibraryProducer<Buffer, Buffer, string, string> | undefined;
  #accumulator: Accumulator | undefined;
  #sender: ProduceSender | undefined;
  /** A produce request of this producer's epoch failed: its sequence numbers are unknown (see ProduceSender). */
  #sequencesLost = false;
  #transaction: Transaction | undefined;
  #pool: ConnectionPool | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #pending: PendingCall[] = [];
  #drainScheduled = false;
  readonly #spacing: TransactionSpacing;
  #fenced: HeraldError | undefined;
  /**
   * This instance's producer id and epoch: the last InitProducerId's, or the last EndTxn's on the second protocol
   * (which ends an epoch with every transaction); presented when initialising again.
   */
  #identity: ProducerIdentity | undefined;
  /** The library producer was just created: its first InitProducerId gives {@link #identity}. */
  #freshProducer = false;
  /** Kafka's transaction protocol in use (`transaction-v2.ts`), asked of the cluster with the first producer. */
  #protocol: 1 | 2 | undefined;
  #closed = false;

  constructor(settings: KafkaSettings, options: TransactionalOptions, member: TransactionalMember, log: Logger) {
    this.#settings = settings;
    this.#options = options;
    this.#member = member;
    this.#spacing = memberSpacing(settings.transactionIntervalMs, settings.transactionLoad, options.intervalMs);
    this.#log = log.child({ transactionalId: options.transactionalId });
  }

  /** Registers the transactional id with its coordinator now, fencing an older instance with the same id. */
  init(): Promise<void> {
    return this.#serialize(async () => {
      const transaction = await this.#begin();
      await transaction.cancel();
      this.#transaction = undefined;
    });
  }

  /**
   * `records` and `positions` visible together, or nothing. See `GroupConsumer.commitTransaction`. Calls made while
   * a transaction is in flight share the next one (each call's records and offsets are still all-or-nothing; a
   * failure of the shared transaction rejects all of its calls). A call of a broken `chain` rejects unsent.
   */
  commit(records: OutgoingRecord[], positions: RecordPosition[], chain?: CommitChain): Promise<RecordPosition[]> {
    try {
      if (this.#closed) throw new HeraldError('HERALD_BROKER_CLOSED', 'the consumer is closed');
      checkOutgoing(records);
      checkList(positions, 'commitTransaction');
      for (const position of positions) checkPosition(position, 'commitTransaction');
      this.#checkOwned(positions);
      checkChain(chain);
    } catch (err) {
      breakChain(chain, err);
      return Promise.reject(err);
    }
    if (records.length === 0 && positions.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.#pending.push({ records, positions, chain, resolve, reject });
      this.#scheduleDrain();
    });
  }

  /** Waits for the transaction in progress, then disconnects. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#queue.catch(() => {});
    await this.#dropProducer();
  }

  #serialize<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task);
    this.#queue = run.catch(() => {});
    return run;
  }

  #scheduleDrain(): void {
    if (this.#drainScheduled) return;
    this.#drainScheduled = true;
    const ready = this.#spacing.waiter();
    void this.#serialize(async () => {
      await ready();
      this.#drainScheduled = false;
      await this.#drain().finally(() => this.#spacing.ended());
    });
  }

  #checkOwned(positions: RecordPosition[]): void {
    for (const position of positions) {
      if (!this.#member.owns(position)) throw notAssigned(position, 'not owned by this member');
    }
  }

  /** Runs the calls waiting now (up to `MAX_RECORDS_PER_TRANSACTION` records) as one transaction. */
  async #drain(): Promise<void> {
    const { calls, records } = takeCalls(this.#pending);
    this.#spacing.started(calls.length, records);
    if (this.#pending.length > 0) this.#scheduleDrain();
    const stop = this.#fenced ?? (this.#closed ? new HeraldError('HERALD_BROKER_CLOSED', 'the consumer is closed') : null);
    if (stop !== null) {
      for (const call of calls) failCall(call, stop);
      return;
    }
    // Ownership is checked again: it may have changed while earlier transactions ran.
    const prepared = await prepareCalls(this.#ensureProducer(), calls, (p) => this.#checkOwned(p), this.#roundRobin);
    if (prepared.length === 0) return;
    const { messages, offsets } = mergeCalls(prepared);
    let written: RecordPosition[];
    try {
      written = await this.#transact(messages, offsets);
    } catch (err) {
      for (const { call } of prepared) failCall(call, err);
      return;
    }
    settleCalls(prepared, written);
  }

  /**
   * One Kafka transaction, aborted on any failure: its partitions and its group registered with the coordinator
   * (AddPartitionsToTxn and AddOffsetsToTxn side by side; not on the second protocol, where the next step does it),
   * then the records and the offsets (Produce and TxnOffsetCommit side by side), then commit — three round trips
   * after the start instead of five, two on the second protocol.
   */
  async #transact(prepared: PreparedMessages, offsets: RecordPosition[]): Promise<RecordPosition[]> {
    let transaction: Transaction | undefined;
    try {
      transaction = await this.#begin();
      const { messages } = prepared;
      // Everything is registered before anything is written: a produce the leader verifies while the coordinator
      // writes is refused. The records and the offsets verified at the same moment are refused now and then too,
      // and asked again a millisecond later (`produceRetryDelay`, `whileBusy`).
      if (this.#protocol === 1) {
        await allSucceeded([
          messages.length > 0 ? this.#addPartitions(transaction, messages) : undefined,
          offsets.length > 0 ? transaction.addConsumer(this.#member.client()) : undefined,
        ]);
      }
      const [written] = await allSucceeded([
        messages.length > 0 ? this.#accumulator!.add(messages, prepared.sizes, prepared.timestamps) : [],
        offsets.length > 0 ? this.#commitOffsets(offsets) : undefined,
      ]);
      await this.#end(transaction, true);
      return written as RecordPosition[];
    } catch (err) {
      const error = await this.#failed(transaction, err);
      if (this.#sequencesLost) await this.#dropProducer();
      throw error;
    }
  }

  /**
   * Commits or aborts `transaction`: the library's EndTxn, or on the second protocol Herald's, whose answer names
   * the epoch of the next transaction (the library's transaction is then only marked complete).
   */
  async #end(transaction: Transaction, commit: boolean): Promise<void> {
    if (this.#protocol === 2) {
      const coordinator = await this.#transactionCoordinator();
      this.#identity = await endTransaction(coordinator, this.#options.transactionalId, this.#identity!, commit);
      await transaction.cancel();
    } else if (commit) await transaction.commit();
    else await transaction.abort();
    this.#transaction = undefined;
  }

  /** A connection to the transactional id's coordinator (which the library found when the transaction began). */
  #transactionCoordinator() {
    return transactionCoordinatorConnection(this.#producer!, this.#connections());
  }

  /** The connections of Herald's own transaction requests (TxnOffsetCommit; on the second protocol EndTxn too). */
  #connections(): ConnectionPool {
    this.#pool ??= new ConnectionPool(childClientId(this.#settings, 'transactions'), { ...this.#settings.base });
    return this.#pool;
  }

  /** AddPartitionsToTxn for the partitions of `messages` new to the transaction (the library reads only those). */
  async #addPartitions(transaction: Transaction, messages: PreparedMessages['messages']): Promise<void> {
    const metadata = await topicsMetadata(this.#producer!, [...new Set(messages.map((m) => m.topic))]);
    await transaction.addPartitions(metadata, messages as unknown as MessageRecord[]);
  }

  #ensureProducer(): LibraryProducer<Buffer, Buffer, string, string> {
    if (this.#producer !== undefined) return this.#producer;
    const producer = transactionalProducer(this.#settings, this.#options, this.#identity);
    this.#producer = producer;
    this.#freshProducer = true;
    // The library producer registers the transactional id, and on the first protocol adds partitions and offsets to
    // transactions and ends them; the records themselves go out in Herald's own produce requests, as the plain
    // producer's do.
    const sender = new ProduceSender(producer, this.#settings, {
      transactionalId: this.#options.transactionalId,
      identity: () => this.#identity!,
      protocol: () => this.#protocol!,
    });
    this.#sender = sender;
    this.#accumulator = new Accumulator(
      async (messages) => {
        const transaction = this.#transaction;
        if (transaction === undefined) throw new HeraldError('HERALD_INTERNAL', 'no transaction is open');
        const metadata = await topicsMetadata(producer, [...new Set(messages.map((m) => m.topic))]);
        // Registered in #transact already; this only adds what is new (nothing, but it costs no request then).
        if (this.#protocol === 1) await transaction.addPartitions(metadata, messages as unknown as MessageRecord[]);
        try {
          return await sender.send(messages, metadata);
        } catch (err) {
          // The sequence numbers of this epoch are unknown now: the next transaction starts from a new epoch.
          this.#sequencesLost = true;
          throw err;
        }
      },
      { lingerMs: 0, batchBytes: this.#settings.producer.batchBytes, offsetsKnown: true },
    );
    return producer;
  }

  async #begin(): Promise<Transaction> {
    if (this.#fenced !== undefined) throw this.#fenced;
    const producer = this.#ensureProducer();
    try {
      this.#transaction = await producer.beginTransaction();
      if (this.#freshProducer) {
        this.#identity = identityOf(producer);
        this.#freshProducer = false;
      }
      this.#protocol ??= await this.#askProtocol();
      return this.#transaction;
    } catch (err) {
      const error = await this.#failed(undefined, err);
      // The library keeps a transaction that failed to begin: start over with a new producer.
      await this.#dropProducer();
      throw error;
    }
  }

  /**
   * Which transaction protocol to use: the settings' (1, or 2 if the cluster runs it: a clear refusal rather than
   * requests it cannot take), or with `'auto'` the cluster's (`usesTransactionV2`).
   */
  async #askProtocol(): Promise<1 | 2> {
    const wanted = this.#settings.transactionProtocol;
    if (wanted === 1) return 1;
    const v2 = await usesTransactionV2(this.#producer!, await this.#transactionCoordinator());
    if (wanted === 2 && !v2) {
      throw new HeraldError(
        'HERALD_CONFIG_INVALID',
        'transactions.protocol is 2, but the Kafka cluster does not run it (transaction.version 2 is finalized by Kafka 4.0 or newer)',
      );
    }
    return v2 ? 2 : 1;
  }

  /** One TxnOffsetCommit of every position (the transaction's AddOffsetsToTxn done, or implied on the second protocol). */
  async #commitOffsets(positions: RecordPosition[]) {
    const client = this.#member.client();
    const coordinator = await this.#coordinatorConnection(client);
    await commitTransactionOffsets(coordinator, {
      transactionalId: this.#options.transactionalId,
      identity: this.#identity!,
      protocol: this.#protocol!,
    }, client, positions);
  }

  #coordinatorConnection(client: Consumer) {
    return coordinatorConnection(client, this.#connections());
  }

  /** Aborts what may be open and turns `err` into the error the caller gets. */
  async #failed(transaction: Transaction | undefined, err: unknown): Promise<HeraldError> {
    if (isEpochOver(err)) return this.#epochOver(err);
    if (transaction !== undefined && !transaction.completed) {
      try {
        await this.#end(transaction, false);
      } catch (abortError) {
        // The broker may still hold the transaction open: a new producer's InitProducerId will abort it.
        this.#log.warn({ err: describeError(abortError) }, 'kafka transaction abort failed; reinitialising');
        await this.#dropProducer();
      }
    }
    if (isStaleMember(err)) {
      return new HeraldError('HERALD_NOT_ASSIGNED', `the group moved on; offsets refused: ${describeError(err)}`, {
        cause: err,
      });
    }
    return toHeraldError(err, 'commit transaction');
  }

  /**
   * The producer's epoch is over. Initialising again with this instance's identity tells why: accepted, the broker
   * had aborted a transaction past its timeout (nothing of it is visible; go on); refused, a newer instance exists.
   */
  async #epochOver(err: unknown): Promise<HeraldError> {
    await this.#dropProducer();
    try {
      const producer = this.#ensureProducer();
      const probe = await producer.beginTransaction();
      await probe.cancel();
      this.#identity = identityOf(producer);
      this.#freshProducer = false;
      this.#log.warn('a kafka transaction outlived transactionTimeoutMs and was aborted by the broker');
      return new HeraldError(
        'HERALD_TIMEOUT',
        `the transaction took longer than ${this.#options.transactionTimeoutMs} ms and the broker aborted it`,
        { cause: err },
      );
    } catch (again) {
      await this.#dropProducer();
      if (!isEpochOver(again)) return toHeraldError(again, 'commit transaction');
      this.#fenced = new HeraldError(
        'HERALD_FENCED',
        `a newer instance with transactional id ${this.#options.transactionalId} took over`,
        { cause: again, details: { transactionalId: this.#options.transactionalId } },
      );
      this.#log.warn('fenced by a newer instance with the same transactional id; no further transactions');
      return this.#fenced;
    }
  }

  async #dropProducer(): Promise<void> {
    const producer = this.#producer;
    const pool = this.#pool;
    const sender = this.#sender;
    this.#producer = undefined;
    this.#accumulator = undefined;
    this.#sender = undefined;
    this.#sequencesLost = false;
    this.#transaction = undefined;
    this.#pool = undefined;
    try {
      await sender?.close();
      await producer?.close(true);
      await pool?.close();
    } catch (err) {
      this.#log.warn({ err: describeError(err) }, 'kafka transactional producer did not close cleanly');
    }
  }
}
