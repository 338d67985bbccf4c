/**
 * Sends the produce requests of Herald's Kafka producer: one request per partition leader, each partition's records
 * of the request as one record batch encoded here (`record-batches.ts`), over the library's connections and with
 * its response parsers. The library's own producer is kept for metadata and for the idempotent producer id; for a
 * transactional producer (`transactions.ts`) it also registers the id, adds partitions and offsets to each
 * transaction and ends it, while the records go through here.
 *
 * Built here because the library's request builder was a third of the event loop in batch ingest on Kafka (its
 * record encoding, two copies of every batch, and the garbage of both): `npm run bench -- ingest -- --broker
 * kafka://… --only batch` gave 90,600 and 109,800 events/s before, see BENCHMARKS.md for after.
 *
 * Idempotence as the library had it: each partition's batches carry the producer id, epoch and consecutive
 * sequence numbers; a request that fails for a retriable reason (leader moved, not enough replicas, connection
 * lost) is sent again — the same batches with the same sequence numbers, so a broker that had already written one
 * answers with its offset instead of writing it twice — to the partition's leader of the time, soon at first and
 * then every {@link PRODUCE_RETRY_DELAY_MS} ({@link produceRetryDelay}), for about 10 s. Any failure then drops the
 * producer id, and the next send starts from a new one. One request is in flight per producer (the accumulator
 * sends one at a time), which keeps each partition's batches in order.
 */
import {
  type ClusterMetadata,
  type Connection,
  ConnectionPool,
  createAPI,
  findErrorBy,
  MultipleErrors,
  type ProduceResult,
  type Producer as LibraryProducer,
  produceV9,
  produceV10,
  produceV11,
  ProduceAcks,
  protocolErrors,
  protocolErrorsCodesById,
  ResponseError,
  Writer,
} from '@platformatic/kafka';
import { HeraldError } from '../../errors.ts';
import type { OutgoingMessage } from './accumulator.ts';
import { codeOf } from './errors.ts';
import { topicsMetadata } from './metadata.ts';
import { childClientId, type KafkaSettings } from './options.ts';
import { encodeRecordBatch, type ProducerIdentity } from './record-batches.ts';
import { busyRetryDelay } from './transaction-errors.ts';
import { V2_VERSIONS } from './transaction-v2.ts';

/**
 * Attempts of one produce request (connection refused, leader moved, not enough in-sync replicas), this far
 * apart: about 10 s, enough to ride out a leader election, short enough to report an unreachable cluster.
 */
export const PRODUCE_RETRIES = 20;
export const PRODUCE_RETRY_DELAY_MS = 500;
/**
 * Quick retries first: the sender's first one 1 ms after the failure, the next ones twice as long each up to
 * {@link PRODUCE_RETRY_DELAY_MS} (these quick ones on top of the {@link PRODUCE_RETRIES} attempts). A transaction's
 * records go out beside its TxnOffsetCommit, and a leader that verifies the transaction while the coordinator
 * writes for that commit refuses them as NOT_ENOUGH_REPLICAS (clients of Produce before version 12 are told so):
 * asked again 1 ms later they are written. Up to one transaction in fifty of the wallet's on the local Kafka node;
 * waiting 500 ms each made them its deposit → visible p99.
 */
const QUICK_RETRIES = Math.ceil(Math.log2(PRODUCE_RETRY_DELAY_MS));

/** Milliseconds before attempt `attempt + 1` of a produce request (`attempt` 0 = the first failed). */
export function produceRetryDelay(attempt: number): number {
  return busyRetryDelay(attempt + 1, PRODUCE_RETRY_DELAY_MS);
}
/** How long the broker may wait for the in-sync replicas before it answers (Produce `timeout_ms`). */
const PRODUCE_TIMEOUT_MS = 30_000;
/**
 * Produce versions sent: 9 (flexible, Kafka 2.8) to 11, and 12 for the transactions of Kafka's second transaction
 * protocol (`transaction-v2.ts`: the leader adds the partition to the transaction); their requests and answers are
 * the same bytes.
 */
const PARSERS = new Map([
  [9, produceV9.parseResponse],
  [10, produceV10.parseResponse],
  [11, produceV11.parseResponse],
  [V2_VERSIONS.Produce, produceV11.parseResponse],
]);
const LOWEST = 9;
const HIGHEST = 11;
/** Kafka's sequence numbers wrap after the largest int32. */
const SEQUENCE_WRAP = 2 ** 31;
/** Kafka errors meaning the broker lost track of this producer id's sequence: start over with a new id. */
const PRODUCER_STATE_LOST = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH']);

type ProduceResponse = produceV11.ProduceResponse;

/** One partition's batch of a request. */
interface PartitionBatch {
  topic: string;
  partition: number;
  batch: Buffer;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The producer id and epoch a library producer holds since its last InitProducerId. */
export function identityOf(producer: LibraryProducer<Buffer, Buffer, string, string>): ProducerIdentity {
  return { producerId: producer.producerId!, producerEpoch: producer.producerEpoch! };
}

/** A sender for one transactional producer: its id, and its producer id and epoch of the moment. */
export interface TransactionalSends {
  transactionalId: string;
  identity(): ProducerIdentity;
  /** Kafka's transaction protocol the producer uses (known before its first send). */
  protocol(): 1 | 2;
}

export class ProduceSender {
  readonly #client: LibraryProducer<Buffer, Buffer, string, string>;
  readonly #settings: KafkaSettings;
  readonly #transactional: TransactionalSends | undefined;
  readonly #pool: ConnectionPool;
  #api: ReturnType<typeof produceApi> | undefined;
  /** The idempotent producer's id and epoch; `undefined` until asked for (again, after a failure). */
  #identity: ProducerIdentity | undefined;
  /** The next sequence number of each partition, and the producer id and epoch they count for. */
  readonly #sequences = new Map<string, number>();
  #sequencesOf: ProducerIdentity | null = null;

  /**
   * With `transactional`, every batch is part of that producer's open transaction (acks all, the transactional id
   * in the request; partitions added to the transaction by the caller first) and counts its sequence numbers under
   * the identity `transactional` gives; after a failed send they are unknown, and the caller must start a new
   * epoch (InitProducerId) before it sends again.
   */
  constructor(client: LibraryProducer<Buffer, Buffer, string, string>, settings: KafkaSettings, transactional?: TransactionalSends) {
    this.#client = client;
    this.#settings = settings;
    this.#transactional = transactional;
    const role = transactional === undefined ? 'producer' : 'transactions';
    this.#pool = new ConnectionPool(childClientId(settings, role), { ...settings.base });
  }

  /**
   * Sends `messages` (each with its partition) as one request per leader; resolves with each partition's base
   * offset. `metadata`: the caller's lookup of their topics, used for the first attempt instead of asking again.
   */
  async send(messages: OutgoingMessage[], metadata?: ClusterMetadata): Promise<ProduceResult> {
    const api = (this.#api ??= await this.#negotiate());
    const identity = this.#transactional?.identity() ?? (this.#settings.producer.idempotent ? await this.#ensureIdentity() : null);
    if (identity?.producerId !== this.#sequencesOf?.producerId || identity?.producerEpoch !== this.#sequencesOf?.producerEpoch) {
      this.#sequences.clear();
      this.#sequencesOf = identity;
    }
    const pending = this.#encode(messages, identity);
    try {
      return await this.#sendWithRetries(api, pending, metadata);
    } catch (err) {
      // The batches may or may not have been written: their sequence numbers cannot be reused by the next send.
      this.#identity = undefined;
      this.#sequences.clear();
      this.#sequencesOf = null;
      throw err;
    }
  }

  close(): Promise<void> {
    return this.#pool.close();
  }

  async #negotiate() {
    const apis = await this.#client.listApis();
    const produce = apis.find((a) => a.name === 'Produce');
    if (this.#transactional?.protocol() === 2) return produceApi(V2_VERSIONS.Produce);
    const version = Math.min(HIGHEST, produce?.maxVersion ?? -1);
    if (version < LOWEST) {
      throw new HeraldError('HERALD_BROKER_UNAVAILABLE', `the Kafka cluster does not support Produce v${LOWEST} (Kafka 2.8 or newer)`);
    }
    return produceApi(version);
  }

  async #ensureIdentity(): Promise<ProducerIdentity> {
    if (this.#identity !== undefined) return this.#identity;
    const info = await this.#client.initIdempotentProducer({});
    this.#identity = { producerId: info.producerId, producerEpoch: info.producerEpoch };
    return this.#identity;
  }

  /** One batch per partition, in the order the partitions first appear; sequence numbers handed out now. */
  #encode(messages: OutgoingMessage[], identity: ProducerIdentity | null): PartitionBatch[] {
    const byPartition = Map.groupBy(messages, (m) => `${m.topic}\0${m.partition}`);
    const out: PartitionBatch[] = [];
    for (const [key, list] of byPartition) {
      let sequence = 0;
      if (identity !== null) {
        sequence = this.#sequences.get(key) ?? 0;
        this.#sequences.set(key, (sequence + list.length) % SEQUENCE_WRAP);
      }
      const { topic, partition } = list[0];
      const batch = encodeRecordBatch(list, identity, sequence, this.#settings.producer.compression, this.#transactional !== undefined);
      out.push({ topic, partition, batch });
    }
    return out;
  }

  async #sendWithRetries(
    api: ReturnType<typeof produceApi>,
    batches: PartitionBatch[],
    known?: ClusterMetadata,
  ): Promise<ProduceResult> {
    const offsets: NonNullable<ProduceResult['offsets']> = [];
    const errors: Error[] = [];
    const topics = [...new Set(batches.map((b) => b.topic))];
    let pending = batches;
    // Metadata lookups retry on their own when no broker answers: the budget is kept in time as well as attempts.
    const deadline = Date.now() + PRODUCE_RETRIES * PRODUCE_RETRY_DELAY_MS;
    for (let attempt = 0; ; attempt++) {
      let retriable: PartitionBatch[];
      try {
        const metadata = attempt === 0 && known !== undefined ? known : await topicsMetadata(this.#client, topics, attempt > 0);
        const byLeader = groupByLeader(pending, metadata);
        const results = await Promise.all(
          [...byLeader].map(([leader, list]) => this.#sendTo(api, metadata, leader, list, offsets, errors)),
        );
        retriable = results.flat();
      } catch (err) {
        // Metadata could not be had: retriable when no broker answered, not when the topic is gone.
        if (codeOf(err) !== 'HERALD_BROKER_UNAVAILABLE') throw err;
        errors.push(err as Error);
        retriable = pending;
      }
      if (retriable.length === 0) return { offsets };
      const delay = produceRetryDelay(attempt);
      if (attempt + 1 >= PRODUCE_RETRIES + QUICK_RETRIES || Date.now() + delay > deadline) {
        throw new MultipleErrors(`Producing messages failed after ${attempt + 1} attempts.`, errors);
      }
      pending = retriable;
      await sleep(delay);
    }
  }

  /**
   * One request to `leader`; fills `offsets` for the partitions it wrote and returns those to send again.
   * @throws the error of a partition that failed for a reason a retry cannot mend.
   */
  async #sendTo(
    api: ReturnType<typeof produceApi>,
    metadata: ClusterMetadata,
    leader: number,
    batches: PartitionBatch[],
    offsets: NonNullable<ProduceResult['offsets']>,
    errors: Error[],
  ): Promise<PartitionBatch[]> {
    // A transaction's records are written with acks all, whatever the plain producer's setting.
    const acks = this.#transactional === undefined ? this.#settings.producer.acks : ProduceAcks.ALL;
    const transactionalId = this.#transactional?.transactionalId ?? null;
    let response: ProduceResponse | boolean;
    let refused: ResponseError | undefined;
    try {
      const connection: Connection = await this.#pool.get(metadata.brokers.get(leader)!);
      response = await api.async(connection, transactionalId, acks, PRODUCE_TIMEOUT_MS, Map.groupBy(batches, (b) => b.topic));
    } catch (err) {
      if (err instanceof ResponseError) {
        // Some partitions failed: the others were written. Their answers are all in the response.
        refused = err;
        errors.push(err);
        response = err.response as ProduceResponse;
      } else if (isRetriable(err)) {
        errors.push(err as Error);
        return batches;
      } else throw err;
    }
    if (typeof response === 'boolean') return []; // acks 0: no answer, no offsets
    const again: PartitionBatch[] = [];
    const sent = new Map(batches.map((b) => [`${b.topic}\0${b.partition}`, b]));
    for (const topic of response.responses) {
      for (const p of topic.partitionResponses) {
        if (p.errorCode === 0) {
          offsets.push({ topic: topic.name, partition: p.index, offset: p.baseOffset });
          continue;
        }
        const id = protocolErrorsCodesById[p.errorCode];
        const definition = id === undefined ? undefined : protocolErrors[id];
        const batch = sent.get(`${topic.name}\0${p.index}`);
        if (definition?.canRetry === true && !PRODUCER_STATE_LOST.has(definition.id) && batch !== undefined) again.push(batch);
        else throw refused!; // it names the partition
      }
    }
    return again;
  }
}

function groupByLeader(batches: PartitionBatch[], metadata: ClusterMetadata): Map<number, PartitionBatch[]> {
  return Map.groupBy(batches, (b) => {
    const leader = metadata.topics.get(b.topic)?.partitions[b.partition]?.leader;
    if (leader === undefined || leader < 0 || !metadata.brokers.has(leader)) {
      throw new HeraldError('HERALD_BROKER_UNAVAILABLE', `${b.topic}/${b.partition} has no leader`);
    }
    return leader;
  });
}

/** Whether the library marks `err` (and everything it wraps) as worth another attempt, as its own retries do. */
function isRetriable(err: unknown): boolean {
  return err instanceof Error && MultipleErrors.isGenericError(err) && findErrorBy(err, 'canRetry', false) === null;
}

/** The Produce request body (versions 9–12: the same bytes) around batches already encoded. */
function createRequest(
  transactionalId: string | null,
  acks: number,
  timeoutMs: number,
  topics: Map<string, PartitionBatch[]>,
): Writer {
  const writer = Writer.create()
    .appendString(transactionalId)
    .appendInt16(acks)
    .appendInt32(timeoutMs)
    .appendArray([...topics], (w, [name, list]) => {
      w.appendString(name).appendArray(list, (w, b) => {
        w.appendInt32(b.partition).appendUnsignedVarInt(b.batch.length + 1).append(b.batch);
      });
    })
    .appendTaggedFields();
  // acks 0: the broker answers nothing, and the connection must not wait for it.
  if (acks === 0) writer.context.noResponse = true;
  return writer;
}

/** The Produce API at `version` (9–12) taking batches already encoded. */
function produceApi(version: number) {
  return createAPI<
    [transactionalId: string | null, acks: number, timeoutMs: number, topics: Map<string, PartitionBatch[]>],
    ProduceResponse | boolean
  >(
    0,
    version,
    createRequest,
    PARSERS.get(version)!,
  );
}
