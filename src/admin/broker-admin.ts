import type { Broker, Producer } from '../broker/port.ts';
import type { ProcessorRegistry } from '../processor/registry.ts';
import { isDeadLetterTopic } from '../runtime/names.ts';
import type { AdminApi, DeadLetterTopic, Metadata } from './api.ts';
import { type GroupReadOptions, groupRecords } from './group-records.ts';
import { listDeadLetters, replayDeadLetters } from './dead-letters.ts';
import { summarizeGroups } from './groups.ts';
import { type ReadQuery, readMessages } from './pages.ts';
import { ReplayMarks } from './replay-marks.ts';
import { processorsOverview } from './processors.ts';

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
  #marks: ReplayMarks | undefined;

  constructor(broker: Broker, options: BrokerAdminOptions = {}) {
    this.#broker = broker;
    this.#options = options;
  }

  /** Replay marks, read incrementally over this instance's life. */
  get #replayMarks(): ReplayMarks {
    this.#marks ??= new ReplayMarks(this.#admin);
    return this.#marks;
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

  topicStorage(name: string) {
    return this.#admin.topicStorage(name);
  }

  deleteTopic(name: string) {
    return this.#admin.deleteTopic(name);
  }

  async produce(records: Parameters<AdminApi['produce']>[0]) {
    const positions = await this.#producing().send(records);
    return positions.map(({ partition, offset }) => ({ partition, offset }));
  }

  read(query: ReadQuery) {
    return readMessages(this.#admin, query);
  }

  groupRecords(options: GroupReadOptions) {
    return groupRecords(this.#broker, options);
  }

  async metadata(): Promise<Metadata> {
    return { broker: this.#broker.kind, topics: await this.listTopics() };
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
    return listDeadLetters(this.#admin, topic, filter, this.#replayMarks);
  }

  replay(topic: string, options: Parameters<AdminApi['replay']>[1], signal?: AbortSignal) {
    return replayDeadLetters(this.#admin, this.#producing(), topic, options, this.#replayMarks, signal);
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
