/**
 * Topic metadata (partition counts, leaders, topic ids) with Herald's error semantics: a topic the cluster does not
 * know is `HERALD_TOPIC_NOT_FOUND` quickly, while connection trouble gets the library's usual retries.
 */
import type { Base, ClusterMetadata, ClusterTopicMetadata } from '@platformatic/kafka';
import { HeraldError } from '../../errors.ts';
import { codeOf, toHeraldError } from './errors.ts';

/** A topic just created may be unknown to the broker answering for a few milliseconds: ask again this often. */
const UNKNOWN_TOPIC_ATTEMPTS = 3;
const UNKNOWN_TOPIC_PAUSE_MS = 100;
const CONNECT_RETRIES = 3;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Metadata of `topics` (from the client's cache when fresh, `metadataMaxAge`). Rejects with
 * `HERALD_TOPIC_NOT_FOUND` naming the topic, or `HERALD_BROKER_UNAVAILABLE` when no broker answers.
 */
export async function topicsMetadata(client: Base, topics: string[], forceUpdate = false): Promise<ClusterMetadata> {
  let lastError: unknown;
  for (let attempt = 0; attempt < UNKNOWN_TOPIC_ATTEMPTS; attempt++) {
    try {
      // retries: 0 so an unknown topic is reported at once instead of after the library's retry delays.
      const metadata = await client.metadata({ topics, retries: 0, forceUpdate: forceUpdate || attempt > 0 });
      if (topics.every((topic) => hasLeaders(metadata.topics.get(topic)))) return metadata;
      lastError = new HeraldError('HERALD_BROKER_UNAVAILABLE', `partitions of ${topics.join(', ')} have no leader yet`);
    } catch (err) {
      lastError = err;
      if (codeOf(err) !== 'HERALD_TOPIC_NOT_FOUND') {
        // Not about the topic (no broker answers): a few retries, so an unreachable cluster is reported in about a
        // second even by a client configured to retry longer (the producer, to ride out leader elections).
        try {
          return await client.metadata({ topics, forceUpdate: true, retries: CONNECT_RETRIES });
        } catch (retried) {
          throw toHeraldError(retried, `metadata of ${topics.join(', ')}`);
        }
      }
    }
    await sleep(UNKNOWN_TOPIC_PAUSE_MS * (attempt + 1));
  }
  if (codeOf(lastError) === 'HERALD_TOPIC_NOT_FOUND') {
    const unknown = /Unknown topic ([^\s]+?)\.?$/.exec(lastError instanceof Error ? lastError.message : '')?.[1];
    throw new HeraldError('HERALD_TOPIC_NOT_FOUND', `topic ${unknown ?? topics.join(', ')} does not exist`, {
      cause: lastError,
    });
  }
  throw toHeraldError(lastError, `metadata of ${topics.join(', ')}`);
}

/** Whether every partition of a topic has a leader (a new topic briefly has none). */
function hasLeaders(topic: ClusterTopicMetadata | undefined): boolean {
  if (topic === undefined || topic.partitionsCount === 0) return false;
  for (let i = 0; i < topic.partitionsCount; i++) {
    if ((topic.partitions[i]?.leader ?? -1) < 0) return false;
  }
  return true;
}

/** The metadata of one topic of `metadata`, which must hold it. */
export function topicOf(metadata: ClusterMetadata, topic: string): ClusterTopicMetadata {
  const found = metadata.topics.get(topic);
  if (found === undefined) throw new HeraldError('HERALD_TOPIC_NOT_FOUND', `topic ${topic} does not exist`);
  return found;
}

/** `HERALD_PARTITION_OUT_OF_RANGE` unless `partition` exists in `topic`. */
export function checkPartition(metadata: ClusterMetadata, topic: string, partition: number): void {
  const count = topicOf(metadata, topic).partitionsCount;
  if (partition >= count) {
    throw new HeraldError(
      'HERALD_PARTITION_OUT_OF_RANGE',
      `partition ${partition} does not exist in ${topic} (partitions 0..${count - 1})`,
      { details: { topic, partition, partitions: count } },
    );
  }
}
