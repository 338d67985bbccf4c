/**
 * The Apache Kafka implementation of Herald's broker port, on `@platformatic/kafka`: the only place in Herald that
 * imports a Kafka client. Each module states what it guarantees and where Kafka or the library limits it:
 * - options.ts: the spec, validated once, as client options (SASL, TLS, producer settings);
 * - producer.ts, accumulator.ts: partitioning (Java's murmur2), validation, batching into produce requests, acks;
 * - consumer.ts, assignments.ts, assignor.ts, commits.ts: group membership, rebalances and `onRevoked`, commits;
 *   co-partitioned-assignor.ts: `assignment: 'co-partitioned'`; transactions.ts: `commitTransaction`;
 * - fetcher.ts: fetching and handing records over with per-partition backpressure, pause and seek, dropping
 *   aborted transactions (read_committed); tail-reader.ts: the same fetcher without a group;
 * - admin.ts, topics.ts, groups.ts, reader.ts: topics, group descriptions, `read`, `ping`;
 * - records.ts, metadata.ts, errors.ts: record checks and decoding, topic metadata, library errors as HeraldErrors.
 */
import pino, { type Logger } from 'pino';
import { HeraldError } from '../../errors.ts';
import type { Broker, ConsumerOptions, GroupConsumer, Producer, TailReader, TailReaderOptions } from '../port.ts';
import { KafkaAdmin } from './admin.ts';
import { KafkaGroupConsumer } from './consumer.ts';
import { describeError } from './errors.ts';
import { type KafkaBrokerSpec, type KafkaSettings, resolveSettings } from './options.ts';
import { KafkaProducer } from './producer.ts';
import { KafkaTailReader } from './tail-reader.ts';

export type { KafkaBrokerSpec } from './options.ts';

class KafkaBroker implements Broker {
  readonly kind = 'kafka';
  readonly admin: KafkaAdmin;
  readonly #settings: KafkaSettings;
  readonly #log: Logger;
  readonly #producers = new Set<KafkaProducer>();
  readonly #consumers = new Set<KafkaGroupConsumer>();
  readonly #readers = new Set<KafkaTailReader>();
  #stopping: Promise<void> | undefined;

  constructor(spec: KafkaBrokerSpec, logger: Logger | undefined) {
    this.#settings = resolveSettings(spec);
    this.#log = (logger ?? pino({ enabled: false })).child({ component: 'broker', broker: 'kafka' });
    this.admin = new KafkaAdmin(this.#settings, () => {
      // A deleted topic must not linger in the metadata caches of this broker's clients.
      for (const producer of this.#producers) producer.forgetMetadata();
    });
  }

  #open(): void {
    if (this.#stopping !== undefined) throw new HeraldError('HERALD_BROKER_CLOSED', 'the broker is stopped');
  }

  /**
   * Connects: resolves once a broker of the cluster answered a metadata request, rejects with
   * `HERALD_BROKER_UNAVAILABLE` when none did (the broker object stays usable; `ping` tells when it is back).
   */
  async start(): Promise<void> {
    this.#open();
    await this.admin.ping();
    this.#log.info({ bootstrap: this.#settings.base.bootstrapBrokers }, 'connected to kafka');
  }

  /** Resolves when a broker answers a metadata request within 3 s; `HERALD_BROKER_UNAVAILABLE` otherwise. */
  ping(): Promise<void> {
    return this.admin.ping();
  }

  producer(): Producer {
    this.#open();
    const producer: KafkaProducer = new KafkaProducer(this.#settings, this.#log, () =>
      this.#producers.delete(producer),
    );
    this.#producers.add(producer);
    return producer;
  }

  reader(options?: TailReaderOptions): TailReader {
    this.#open();
    const reader: KafkaTailReader = new KafkaTailReader(this.#settings, options, this.#log, () =>
      this.#readers.delete(reader),
    );
    this.#readers.add(reader);
    return reader;
  }

  consumer(options: ConsumerOptions): GroupConsumer {
    this.#open();
    const consumer: KafkaGroupConsumer = new KafkaGroupConsumer(this.#settings, options, this.#log, () =>
      this.#consumers.delete(consumer),
    );
    this.#consumers.add(consumer);
    return consumer;
  }

  /** Closes consumers (revoking and leaving their groups), then producers (after their in-flight sends), then admin. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    const report = (what: string) => (result: PromiseSettledResult<void>) => {
      if (result.status === 'rejected')
        this.#log.warn({ err: describeError(result.reason) }, `${what} did not close cleanly`);
    };
    (await Promise.allSettled([...this.#consumers].map((c) => c.close()))).forEach(report('consumer'));
    (await Promise.allSettled([...this.#readers].map((r) => r.close()))).forEach(report('reader'));
    (await Promise.allSettled([...this.#producers].map((p) => p.close()))).forEach(report('producer'));
    await this.admin.close();
  }
}

/** A broker on an Apache Kafka cluster. Throws `HERALD_CONFIG_INVALID` for a spec that cannot work. */
export function createKafkaBroker(spec: KafkaBrokerSpec, logger?: Logger): Broker {
  return new KafkaBroker(spec, logger);
}
