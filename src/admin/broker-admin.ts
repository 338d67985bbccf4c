import type { Broker, Producer } from '../broker/port.ts';
import type { ProcessorRegistry } from '../processor/registry.ts';
import { isDeadLetterTopic } from '../runtime/names.ts';
import type { AdminApi, DeadLetterTopic } from './api.ts';
import { listDeadLetters, replayDeadLetters } from './dead-letters.ts';
import { summarizeGroups } from './groups.ts';
import { processorsOverview } from './processors.ts';
import { recordView } from './records.ts';

export interface BrokerAdminOptions {
  /** `close` also stops the broker (the CLI's own connection); default false (the platform's shared broker). */
  stopBroker?: boolean;
  /** The processors and views of this process (the platform's); without one, `processors()` has nothing to show. */
  processors?: ProcessorRegistry;
}

/**
 * The {@link AdminApi} over a broker: what the HTTP admin routes serve and what the CLI runs against a Kafka cluster
 * directly. A producer is made on first use (replays, produced messages) and closed by `close`.
 */
export class BrokerAdminApi implements AdminApi {
  readonly #broker: Broker;
  readonly #options: BrokerAdminOptions;
  #producer: Producer | undefined;

  constructor(broker: Broker, options: BrokerAdminOptions = {}) {
    this.#broker = broker;
    this.#options = options;
  }

  get #admin() {
    return this.#broker.admin;
  }

  #producing(): Producer {
    this.#producer ??= this.#broker.producer();
    return this.#producer;
  }

  async createTopic(spec: Parameters<AdminApi['createTopic']>[0]) {
    await this.#admin.createTopic(spec);
    return this.#admin.describeTopic(spec.name);
  }

  async listTopics() {
    const topics = await this.#admin.listTopics();
    return topics.sort((a, b) => a.name.localeCompare(b.name));
  }

  describeTopic(name: string) {
    return this.#admin.describeTopic(name);
  }

  deleteTopic(name: string) {
    return this.#admin.deleteTopic(name);
  }

  async produce(records: Parameters<AdminApi['produce']>[0]) {
    const positions = await this.#producing().send(records);
    return positions.map(({ partition, offset }) => ({ partition, offset }));
  }

  async read(position: Parameters<AdminApi['read']>[0], limit: number) {
    return (await this.#admin.read(position, limit)).map(recordView);
  }

  listGroups() {
    return summarizeGroups(this.#admin);
  }

  describeGroup(group: string) {
    return this.#admin.describeGroup(group);
  }

  async deadLetterTopics(): Promise<DeadLetterTopic[]> {
    const topics = (await this.#admin.listTopics()).filter((t) => isDeadLetterTopic(t.name));
    return topics
      .map((t) => ({ topic: t.name, records: t.partitions.reduce((sum, p) => sum + (p.latest - p.earliest), 0) }))
      .sort((a, b) => a.topic.localeCompare(b.topic));
  }

  deadLetters(topic: string, filter: Parameters<AdminApi['deadLetters']>[1]) {
    return listDeadLetters(this.#admin, topic, filter);
  }

  replay(topic: string, options: Parameters<AdminApi['replay']>[1], signal?: AbortSignal) {
    return replayDeadLetters(this.#admin, this.#producing(), topic, options, signal);
  }

  async processors() {
    return processorsOverview(this.#options.processors);
  }

  async close(): Promise<void> {
    const producer = this.#producer;
    this.#producer = undefined;
    await producer?.close();
    if (this.#options.stopBroker === true) await this.#broker.stop();
  }
}
