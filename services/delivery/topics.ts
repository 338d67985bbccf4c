import type { TopicSpec } from '#herald/broker';

/**
 * The delivery pipeline's topics and consumer groups, named under one prefix (`delivery` unless configured):
 *
 *   POST /publish ─▶ <prefix>.events ─(transformer, group <prefix>.transform.<id>)─▶ <prefix>.<id>
 *                                    ─(sender, group <prefix>.send.<id>)─▶ POST <url>
 *
 * Every topic is keyed by userId, so a user's events stay in one partition — the order they were accepted in —
 * all the way to the destination. A topic and two groups per destination keep destinations isolated: a
 * destination that is down only grows the lag of its own sender group.
 */
export interface DeliveryTopics {
  readonly prefix: string;
  /** Accepted events, keyed by userId. */
  readonly source: string;
  /** Events transformed for one destination. */
  destination(destinationId: string): string;
  transformGroup(destinationId: string): string;
  sendGroup(destinationId: string): string;
}

export function deliveryTopics(prefix = 'delivery'): DeliveryTopics {
  return {
    prefix,
    source: `${prefix}.events`,
    destination: (id) => `${prefix}.${id}`,
    transformGroup: (id) => `${prefix}.transform.${id}`,
    sendGroup: (id) => `${prefix}.send.${id}`,
  };
}

/** Specs of the source and destination topics, `partitions` each (an existing topic keeps its partitions). */
export function topicSpecs(topics: DeliveryTopics, destinationIds: string[], partitions: number): TopicSpec[] {
  return [topics.source, ...destinationIds.map(topics.destination)].map((name) => ({ name, partitions }));
}
