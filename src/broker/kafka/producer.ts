/**
 * Herald's {@link Producer} on `@platformatic/kafka`'s `Producer`.
 *
 * Partitioning is done here, not by the library: a keyed record goes to `partitionForKey` (Kafka's Java client's
 * `murmur2 & 0x7fffffff`); the library's default partitioner uses `murmur2 >>> 0`, which disagrees with Java for
 * every key whose hash is negative. Records without key or partition are spread round-robin per topic. Every record
 * therefore reaches the library with an explicit, range-checked partition (the library would silently wrap an
 * out-of-range partition modulo the partition count).
 */
import { type ClusterMetadata, Producer as LibraryProducer, stringSerializer } from '@platformatic/kafka';
import type { Logger } from 'pino';
import { HeraldError } from '../../errors.ts';
import type { OutgoingRecord, Producer, RecordPosition } from '../port.ts';
import { partitionForKey } from '../partitioner.ts';
import { Accumulator, type OutgoingMessage } from './accumulator.ts';
import { toHeraldError } from './errors.ts';
import { checkPartition, topicOf, topicsMetadata } from './metadata.ts';
import { childClientId, type KafkaSettings } from './options.ts';
import { checkOutgoing } from '../rules.ts';
import { PRODUCE_RETRIES, PRODUCE_RETRY_DELAY_MS, ProduceSender } from './produce-sender.ts';
import { asBuffer, recordBytes } from './records.ts';

/** Library messages for checked records, with the sizes and timestamps the {@link Accumulator} needs. */
export interface PreparedMessages {
  messages: OutgoingMessage[];
  sizes: number[];
  timestamps: number[];
}

/**
 * Turns checked records into library messages, each with an explicit partition (see the module comment) and an
 * explicit timestamp (the time of the call by default). `roundRobin` holds the next partition per topic for records
 * without key or partition. Rejects a partition outside the topic with `HERALD_PARTITION_OUT_OF_RANGE`.
 */
export function toMessages(
  records: OutgoingRecord[],
  metadata: ClusterMetadata,
  roundRobin: Map<string, number>,
): PreparedMessages {
  const messages: OutgoingMessage[] = new Array(records.length);
  const sizes: number[] = new Array(records.length);
  const timestamps: number[] = new Array(records.length);
  const now = Date.now();
  const nowBig = BigInt(now);
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    const message: OutgoingMessage = {
      topic: record.topic,
      partition: partitionOf(record, metadata, roundRobin),
    };
    // An absent value is written as Kafka's null value: a tombstone.
    if (record.value !== null) message.value = asBuffer(record.value);
    if (record.key !== undefined && record.key !== null) message.key = asBuffer(record.key);
    if (record.headers !== undefined) message.headers = record.headers;
    if (record.timestamp === undefined) {
      timestamps[i] = now;
      message.timestamp = nowBig;
    } else {
      timestamps[i] = record.timestamp;
      message.timestamp = BigInt(record.timestamp);
    }
    messages[i] = message;
    sizes[i] = recordBytes(record);
  }
  return { messages, sizes, timestamps };
}

function partitionOf(record: OutgoingRecord, metadata: ClusterMetadata, roundRobin: Map<string, number>): number {
  if (record.partition !== undefined) {
    checkPartition(metadata, record.topic, record.partition);
    return record.partition;
  }
  const count = topicOf(metadata, record.topic).partitionsCount;
  if (record.key !== undefined && record.key !== null) return partitionForKey(record.key, count);
  const next = roundRobin.get(record.topic) ?? Math.floor(Math.random() * count);
  roundRobin.set(record.topic, (next + 1) % count);
  return next % count;
}

export class KafkaProducer implements Producer {
  readonly #client: LibraryProducer<Buffer, Buffer, string, string>;
  readonly #sender: ProduceSender;
  readonly #accumulator: Accumulator;
  readonly #roundRobin = new Map<string, number>();
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #log: Logger;
  readonly #onClosed: () => void;
  #closing: Promise<void> | undefined;

  constructor(settings: KafkaSettings, log: Logger, onClosed: () => void) {
    const { acks, idempotent, compression } = settings.producer;
    this.#client = new LibraryProducer<Buffer, Buffer, string, string>({
      ...settings.base,
      clientId: childClientId(settings, 'producer'),
      acks,
      idempotent,
      compression,
      retries: PRODUCE_RETRIES,
      retryDelay: PRODUCE_RETRY_DELAY_MS,
      serializers: { headerKey: stringSerializer, headerValue: stringSerializer },
    });
    // The library client gives metadata and the idempotent producer id; the requests are built and sent by ours.
    this.#sender = new ProduceSender(this.#client, settings);
    this.#accumulator = new Accumulator((messages) => this.#sender.send(messages), {
      lingerMs: settings.producer.lingerMs,
      batchBytes: settings.producer.batchBytes,
      offsetsKnown: acks !== 0,
    });
    this.#log = log;
    this.#onClosed = onClosed;
  }

  /**
   * Resolves once every record is acknowledged as the producer's `acks` demand (default: by all in-sync replicas,
   * idempotently, so the library's retries never duplicate a record). Validation (record shapes, topics, partition
   * ranges) happens before anything is queued. Rejects with `HERALD_BROKER_UNAVAILABLE` when the cluster did not
   * take the records within the retry budget.
   */
  send(records: OutgoingRecord[]): Promise<RecordPosition[]> {
    if (this.#closing !== undefined) {
      return Promise.reject(new HeraldError('HERALD_BROKER_CLOSED', 'the producer is closed'));
    }
    let checked: Promise<RecordPosition[]>;
    try {
      checkOutgoing(records);
      checked = records.length === 0 ? Promise.resolve([]) : this.#send(records);
    } catch (err) {
      checked = Promise.reject(err);
    }
    this.#inFlight.add(checked);
    const forget = () => this.#inFlight.delete(checked);
    checked.then(forget, forget);
    return checked;
  }

  async #send(records: OutgoingRecord[]): Promise<RecordPosition[]> {
    const topics = [...new Set(records.map((r) => r.topic))];
    const metadata = await topicsMetadata(this.#client, topics);
    const { messages, sizes, timestamps } = toMessages(records, metadata, this.#roundRobin);
    try {
      return await this.#accumulator.add(messages, sizes, timestamps);
    } catch (err) {
      // Metadata the library cached may be what failed (topic deleted, leader gone): ask afresh next time.
      this.#client.clearMetadata();
      throw toHeraldError(err, `send to ${topics.join(', ')}`);
    }
  }

  /** Drops cached topic metadata (after a topic was deleted), so the next send asks the cluster. */
  forgetMetadata(): void {
    this.#client.clearMetadata();
  }

  /** Waits for sends already made (they resolve or reject as they would have), then disconnects. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    await Promise.allSettled([...this.#inFlight]);
    await this.#accumulator.drained();
    try {
      await this.#sender.close();
      await this.#client.close();
    } catch (err) {
      this.#log.warn({ err }, 'kafka producer did not close cleanly');
    } finally {
      this.#onClosed();
    }
  }
}
