/**
 * Kafka's consumer protocol (protocol type `consumer`): the bytes consumers put in JoinGroup (subscription) and
 * the leader hands out in SyncGroup (assignment). The broker treats them as opaque except to show assignments in
 * group descriptions, and to describe Herald's own consumers to Kafka tools the same way.
 */
import type { TopicPartition } from '../../../port.ts';
import { Reader } from '../wire/reader.ts';
import { Writer } from '../wire/writer.ts';

/** The partitions in an assignment (any version: the fields read are in all of them), or null if malformed. */
export function decodeAssignment(bytes: Buffer): TopicPartition[] | null {
  if (bytes.length === 0) return [];
  try {
    const r = new Reader(bytes);
    r.int16(); // version
    const out: TopicPartition[] = [];
    const topics = r.arrayLength(false);
    for (let i = 0; i < topics; i++) {
      const topic = r.string(false) ?? '';
      const partitions = r.arrayLength(false);
      for (let j = 0; j < partitions; j++) out.push({ topic, partition: r.int32() });
    }
    return out;
  } catch {
    return null;
  }
}

/** A version 0 assignment of `partitions`. */
export function encodeAssignment(partitions: readonly TopicPartition[]): Buffer {
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of partitions) {
    const list = byTopic.get(topic) ?? [];
    list.push(partition);
    byTopic.set(topic, list);
  }
  const w = new Writer().int16(0).int32(byTopic.size);
  for (const [topic, list] of byTopic) {
    w.string(topic, false).int32(list.length);
    for (const p of list) w.int32(p);
  }
  return w.bytes(null, false).toBuffer();
}

/** A version 0 subscription to `topics`. */
export function encodeSubscription(topics: readonly string[]): Buffer {
  const w = new Writer().int16(0).int32(topics.length);
  for (const topic of topics) w.string(topic, false);
  return w.bytes(null, false).toBuffer();
}
