import type { BrokerRecord, TopicPartition } from '../port.ts';

/** The key of a topic-partition in maps. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}\0${partition}`;
}

/** What the fetch loop keeps of each partition it fetches. */
export interface PartitionState extends TopicPartition {
  readonly key: string;
  /** Next offset to fetch. */
  position: number;
  /** The `next` of the last batch handed over (or the starting position). */
  reported: number;
  /** Bumped by seek and offset resets: fetch results requested under an older epoch are dropped. */
  epoch: number;
  buffer: BrokerRecord[];
  /** Index of the first record of `buffer` not handed over yet. */
  head: number;
  paused: boolean;
  fetching: boolean;
  /** The batch the listener is working on. */
  busy: Promise<void> | null;
  removed: boolean;
  /** Fetch size for this partition: doubled while a record batch larger than it blocks progress. */
  maxBytes: number;
}
