/**
 * Partition counts of the notify topics, asked of the broker once and cached, so the produce API can refuse an
 * out-of-range `partition` with a precise message without a metadata round trip per request. A partition at or past
 * the cached count triggers a fresh look (at most once a second per topic) before it is refused, so partitions
 * added to a topic while Herald runs become usable.
 */
import type { Admin } from '#herald/broker';

const REFRESH_AFTER_MS = 1000;

/** Cached partition counts per topic, refreshed when a partition at or past the count is asked for. */
export class PartitionCounts {
  readonly #admin: Admin;
  readonly #counts = new Map<string, { count: number; at: number }>();

  constructor(admin: Admin) {
    this.#admin = admin;
  }

  /**
   * `undefined` when `partition` exists in `topic` (or the topic cannot be described — the broker then decides),
   * else the topic's partition count.
   */
  async check(topic: string, partition: number): Promise<number | undefined> {
    let known = this.#counts.get(topic);
    if (known === undefined || (partition >= known.count && Date.now() - known.at >= REFRESH_AFTER_MS)) {
      try {
        const info = await this.#admin.describeTopic(topic);
        known = { count: info.partitions.length, at: Date.now() };
        this.#counts.set(topic, known);
      } catch {
        return undefined;
      }
    }
    return partition < known.count ? undefined : known.count;
  }
}
