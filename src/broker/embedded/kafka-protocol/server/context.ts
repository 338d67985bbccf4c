import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { TopicSpec } from '../../../port.ts';
import type { Notifier } from '../../notifier.ts';
import type { CommittedOffsets } from '../../offsets.ts';
import type { TopicState } from '../../partition-log.ts';
import type { TopicRegistry } from '../../topics.ts';
import type { Writer } from '../../writer.ts';
import type { ClassicGroups } from '../groups/classic-groups.ts';
import type { ProducerStates } from '../records/producer-states.ts';
import type { TransactionCoordinator } from '../transactions/transaction-coordinator.ts';
import type { ResolvedListenerOptions } from './options.ts';

/**
 * What the Kafka listener reaches of the embedded broker, and its own shared state. The getters throw the
 * broker's lifecycle error when it is not running (a request racing the broker's stop).
 */
export interface ListenerContext {
  topics(): TopicRegistry;
  writer(): Writer;
  offsets(): CommittedOffsets;
  notifier(): Notifier;
  /** Topic administration through the broker (so Herald's own consumer groups rebalance on changes). */
  createTopic(spec: TopicSpec): Promise<void>;
  deleteTopic(name: string): Promise<void>;
  /** Whether Herald's own consumers hold `group` now (a Kafka client may not join it then). */
  nativeGroupActive(group: string): boolean;
  /** Herald's own consumers of `group`, as Kafka's group descriptions show members. */
  nativeMembers(group: string): NativeMember[];
  /** Groups Herald's own consumers hold now. */
  nativeGroups(): string[];
  readonly groups: ClassicGroups;
  readonly producers: ProducerStates;
  readonly transactions: TransactionCoordinator;
  readonly options: ResolvedListenerOptions;
  /** Where clients reach this broker (Metadata, FindCoordinator): known once the listener is bound. */
  advertised(): { host: string; port: number };
  readonly nodeId: number;
  readonly clusterId: string;
  readonly logger: Logger | undefined;
  /** Aborted when the listener stops: long polls and group waits end at once. */
  readonly stopping: AbortSignal;
}

/** A member of a Herald-native consumer group, for DescribeGroups. */
export interface NativeMember {
  memberId: string;
  clientId: string;
  topics: readonly string[];
  assignment: { topic: string; partition: number }[];
}

const topicIds = new WeakMap<TopicState, string>();

/**
 * A topic's id (Metadata v10+, CreateTopics v7+): a UUID derived from the topic's row id and name, so it is the
 * same after a restart and differs for a topic deleted and created again under the same name.
 */
export function topicId(topic: TopicState): string {
  let id = topicIds.get(topic);
  if (id === undefined) {
    id = createHash('sha256').update(`herald-topic:${topic.id}:${topic.name}`).digest('hex').slice(0, 32);
    topicIds.set(topic, id);
  }
  return id;
}

const byIdIndexes = new WeakMap<TopicRegistry, Map<string, TopicState>>();

/**
 * The live topic whose {@link topicId} is `id`. Fetch v13+ (Java clients) names every topic by id in every request:
 * looking ids up through the whole registry (sorted each time) cost each fetch O(topics · log topics); the index
 * here is rebuilt only when an id is not found or names a deleted topic.
 */
export function topicById(registry: TopicRegistry, id: string): TopicState | undefined {
  const found = byIdIndexes.get(registry)?.get(id);
  if (found !== undefined && !found.deleted) return found;
  const index = new Map<string, TopicState>();
  for (const topic of registry.all()) index.set(topicId(topic), topic);
  byIdIndexes.set(registry, index);
  return index.get(id);
}

/** A cluster id (22 characters of base64url, as Kafka's) that stays the same for one data directory. */
export function clusterIdOf(dataDir: string): string {
  return createHash('sha256').update(`herald-cluster:${dataDir}`).digest('base64url').slice(0, 22);
}
