import { createHash } from 'node:crypto';

const MAX_TOPIC = 249;

/** `name` made a legal topic name: characters outside `[a-zA-Z0-9._-]` become `_`; too long, a hash keeps it unique. */
export function topicSafe(name: string): string {
  const safe = name.replace(/[^a-zA-Z0-9._-]/g, '_');
  if (safe.length <= MAX_TOPIC) return safe;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 12);
  return `${safe.slice(0, MAX_TOPIC - 13)}-${hash}`;
}

/** The dead-letter topic of a topic as consumed by a group: `<topic>.<group>.dlq`. */
export function deadLetterTopicName(topic: string, group: string): string {
  return topicSafe(`${topic}.${group}.dlq`);
}

/** True for names `deadLetterTopicName` produces. */
export function isDeadLetterTopic(name: string): boolean {
  return name.endsWith('.dlq');
}

/** The compacted topic of ids a group has processed: `__herald.dedupe.<group>`. */
export function dedupeTopicName(group: string): string {
  return topicSafe(`__herald.dedupe.${group}`);
}
