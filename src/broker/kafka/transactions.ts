/**
 * `GroupConsumer.commitTransaction` on Kafka: a transactional producer owned by one group member. Each call is one
 * Kafka transaction — AddPartitionsToTxn + Produce (the library), AddOffsetsToTxn (the library), ONE TxnOffsetCommit
 * carrying every position (sent here: the library's `addOffset` sends one request per offset), EndTxn — aborted on
 * any failure, so a call that rejects leaves nothing visible to read_committed readers.
 *
 * Fencing: the producer's `transactional.id` is the consumer's `transactionalId`. `init()` (at consumer start) runs
 * InitProducerId, which bumps the id's epoch: an older instance (a zombie) is fenced at once and its open
 * transaction aborted, so readers do not wait for the transaction timeout. The offsets carry the group's generation
 * and member id (KIP-447): a member that lost its partitions in a rebalance cannot commit them. A fenced committer
 * stays fenced — it never initialises again, which would fence the instance that took over.
 *
 * After a failed abort (broker unreachable) the library producer is dropped: the next transaction starts from a new
 * InitProducerId, which aborts whatever the broker still holds open for this id.
 */
import {
  type ClusterMetadata,
  type Consumer,
  ConnectionPool,
  findErrorBy,
  Producer as LibraryProducer,
  ProduceAcks,
  stringSerializer,
  txnOffsetCommitV3,
} from '@platformatic/kafka';
import type { Logger } from 'pino';
import { HeraldError } from '../../errors.ts';
import type { OutgoingRecord, RecordPosition, TopicPartition } from '../broker.ts';
import { Accumulator } from './accumulator.ts';
import { describeError, toHeraldError } from './errors.ts';
import { topicsMetadata } from './metadata.ts';
import { childClientId, type KafkaSettings } from './options.ts';
import { toMessages } from './producer.ts';
import { checkOutgoing, checkPosition } from './records.ts';

/** Kafka errors meaning a newer producer with this transactional id exists. */
const FENCED = ['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH', 'TRANSACTIONAL_ID_NOT_FOUND'];
/** Kafka errors of TxnOffsetCommit meaning this member's generation is over: its partitions may have moved. */
const STALE_MEMBER = ['ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID', 'REBALANCE_IN_PROGRESS'];
/** The library's transaction object (its class is not exported by name). */
type Transaction = Awaited<ReturnType<LibraryProducer<Buffer, Buffer, string, string>['beginTransaction']>>;

const RETRIES = 10;
const RETRY_DELAY_MS = 300;

export interface TransactionalOptions {
  transactionalId: string;
  transactionTimeoutMs: number;
  group: string;
}

/** What the committer needs from its consumer. */
export interface TransactionalMember {
  /** The library consumer: its group id, generation, member id and coordinator. */
  client(): Consumer;
  owns(tp: TopicPartition): boolean;
}

function notAssigned(tp: TopicPartition, why: string): HeraldError {
  return new HeraldError('HERALD_NOT_ASSIGNED', `${tp.topic}/${tp.partition} is not assigned here (${why})`, {
    details: { topic: tp.topic, partition: tp.partition },
  });
}

function matches(err: unknown, names: readonly string[]): boolean {
  return err instanceof Error && names.some((name) => findErrorBy(err, 'apiId', name) !== null);
}

export class TransactionalCommitter {
  readonly #settings: KafkaSettings;
  readonly #options: TransactionalOptions;
  readonly #member: TransactionalMember;
  readonly #log: Logger;
  readonly #roundRobin = new Map<string, number>();
  #producer: LibraryProducer<Buffer, Buffer, string, string> | undefined;
  #accumulator: Accumulator | undefined;
  #transaction: Transaction | undefined;
  #pool: ConnectionPool | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #fenced: HeraldError | undefined;
  #closed = false;

  constructor(settings: KafkaSettings, options: TransactionalOptions, member: TransactionalMember, log: Logger) {
    this.#settings = settings;
    this.#options = options;
    this.#member = member;
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

  /** One transaction: `records` and `positions` visible together, or nothing. See `GroupConsumer.commitTransaction`. */
  commit(records: OutgoingRecord[], positions: RecordPosition[]): Promise<RecordPosition[]> {
    try {
      if (this.#closed) throw new HeraldError('HERALD_BROKER_CLOSED', 'the consumer is closed');
      checkOutgoing(records);
      if (!Array.isArray(positions)) {
        throw new HeraldError('HERALD_INVALID_ARGUMENT', 'commitTransaction takes a list of positions');
      }
      for (const position of positions) checkPosition(position, 'commitTransaction');
      this.#checkOwned(positions);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#serialize(() => this.#commit(records, positions));
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

  #checkOwned(positions: RecordPosition[]): void {
    for (const position of positions) {
      if (!this.#member.owns(position)) throw notAssigned(position, 'not owned by this member');
    }
  }

  async #commit(records: OutgoingRecord[], positions: RecordPosition[]): Promise<RecordPosition[]> {
    if (this.#fenced !== undefined) throw this.#fenced;
    if (this.#closed) throw new HeraldError('HERALD_BROKER_CLOSED', 'the consumer is closed');
    // Ownership may have changed while earlier transactions ran.
    this.#checkOwned(positions);
    if (records.length === 0 && positions.length === 0) return [];
    const offsets = new Map<string, RecordPosition>();
    for (const p of positions) offsets.set(`${p.topic}\0${p.partition}`, p);
    const producer = this.#ensureProducer();
    let prepared: ReturnType<typeof toMessages> | undefined;
    if (records.length > 0) {
      const metadata = await topicsMetadata(producer, [...new Set(records.map((r) => r.topic))]);
      prepared = toMessages(records, metadata, this.#roundRobin);
    }
    let transaction: Transaction | undefined;
    try {
      transaction = await this.#begin();
      const written = prepared === undefined ? [] : await this.#accumulator!.add(prepared.messages, prepared.sizes, prepared.timestamps);
      if (offsets.size > 0) await this.#commitOffsets(transaction, [...offsets.values()]);
      await transaction.commit();
      this.#transaction = undefined;
      return written;
    } catch (err) {
      throw await this.#failed(transaction, err);
    }
  }

  #ensureProducer(): LibraryProducer<Buffer, Buffer, string, string> {
    if (this.#producer !== undefined) return this.#producer;
    const producer = new LibraryProducer<Buffer, Buffer, string, string>({
      ...this.#settings.base,
      clientId: childClientId(this.#settings, 'transactions'),
      transactionalId: this.#options.transactionalId,
      idempotent: true,
      // "No producer id yet" is -1/-1 in InitProducerId (KIP-360). The library's default, 0/0, names a producer that
      // does not exist: the coordinator then refuses a second instance of an id as fenced instead of bumping the
      // epoch, which is the whole point of a stable transactional id.
      producerId: -1n,
      producerEpoch: -1,
      acks: ProduceAcks.ALL,
      compression: this.#settings.producer.compression,
      // The library sends this as the transaction timeout in InitProducerId (and uses it as its request timeout).
      timeout: this.#options.transactionTimeoutMs,
      retries: RETRIES,
      retryDelay: RETRY_DELAY_MS,
      serializers: { headerKey: stringSerializer, headerValue: stringSerializer },
    });
    this.#producer = producer;
    this.#accumulator = new Accumulator(
      (messages) => {
        if (this.#transaction === undefined) throw new HeraldError('HERALD_INTERNAL', 'no transaction is open');
        return this.#transaction.send({ messages });
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
      return this.#transaction;
    } catch (err) {
      const error = await this.#failed(undefined, err);
      // The library keeps a transaction that failed to begin: start over with a new producer.
      await this.#dropProducer();
      throw error;
    }
  }

  /** TxnOffsetCommit of every position in one request, with this member's generation and member id. */
  async #commitOffsets(transaction: Transaction, positions: RecordPosition[]) {
    const client = this.#member.client();
    await transaction.addConsumer(client);
    const producer = this.#producer!;
    const topics = new Map<string, { name: string; partitions: txnOffsetCommitV3.TxnOffsetCommitRequestPartition[] }>();
    for (const { topic, partition, offset } of positions) {
      const entry = topics.get(topic) ?? { name: topic, partitions: [] };
      entry.partitions.push({ partitionIndex: partition, committedOffset: BigInt(offset), committedLeaderEpoch: -1 });
      topics.set(topic, entry);
    }
    const connection = await this.#coordinatorConnection(client);
    await txnOffsetCommitV3.api.async(
      connection,
      this.#options.transactionalId,
      client.groupId,
      producer.producerId!,
      producer.producerEpoch!,
      client.generationId,
      client.memberId ?? '',
      null,
      [...topics.values()],
    );
  }

  async #coordinatorConnection(client: Consumer) {
    const coordinator = client.coordinatorId ?? (await client.findGroupCoordinator());
    const metadata: ClusterMetadata = await client.metadata({ topics: [] });
    const broker = metadata.brokers.get(coordinator);
    if (broker === undefined) {
      throw new HeraldError('HERALD_BROKER_UNAVAILABLE', `group coordinator ${coordinator} is not in the metadata`);
    }
    this.#pool ??= new ConnectionPool(childClientId(this.#settings, 'transactions'), { ...this.#settings.base });
    return this.#pool.get(broker);
  }

  /** Aborts what may be open and turns `err` into the error the caller gets. */
  async #failed(transaction: Transaction | undefined, err: unknown): Promise<HeraldError> {
    const fenced = matches(err, FENCED) || (err instanceof Error && findErrorBy(err, 'producerFenced', true) !== null);
    if (fenced) {
      this.#fenced = new HeraldError(
        'HERALD_FENCED',
        `a newer instance with transactional id ${this.#options.transactionalId} took over`,
        { cause: err, details: { transactionalId: this.#options.transactionalId } },
      );
      this.#log.warn('fenced by a newer instance with the same transactional id; no further transactions');
      await this.#dropProducer();
      return this.#fenced;
    }
    if (transaction !== undefined && !transaction.completed) {
      try {
        await transaction.abort();
        this.#transaction = undefined;
      } catch (abortError) {
        // The broker may still hold the transaction open: a new producer's InitProducerId will abort it.
        this.#log.warn({ err: describeError(abortError) }, 'kafka transaction abort failed; reinitialising');
        await this.#dropProducer();
      }
    }
    if (matches(err, STALE_MEMBER)) {
      return new HeraldError('HERALD_NOT_ASSIGNED', `the group moved on; offsets refused: ${describeError(err)}`, {
        cause: err,
      });
    }
    return toHeraldError(err, 'commit transaction');
  }

  async #dropProducer(): Promise<void> {
    const producer = this.#producer;
    const pool = this.#pool;
    this.#producer = undefined;
    this.#accumulator = undefined;
    this.#transaction = undefined;
    this.#pool = undefined;
    try {
      await producer?.close(true);
      await pool?.close();
    } catch (err) {
      this.#log.warn({ err: describeError(err) }, 'kafka transactional producer did not close cleanly');
    }
  }
}
