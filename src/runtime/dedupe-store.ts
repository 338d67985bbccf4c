import type { Admin, Producer } from '../broker/port.ts';
import { LruCache } from '../kit/lru.ts';
import type { SharedResource } from './message.ts';

export interface DedupeStoreOptions {
  admin: Admin;
  producer: Producer;
  /** The compacted topic holding the ids (one partition); declared by the dedupe middleware, so it exists. */
  topic: string;
  /** Ids remembered; the least recently seen beyond it are forgotten. */
  capacity: number;
}

const PAGE = 1_000;

/**
 * The ids a consumer group has processed, bounded: an LRU cache of `capacity` ids in memory, backed by a compacted
 * topic (key = id) so that it survives restarts and works the same on every broker. `start` loads the topic;
 * `remember` writes the id (durably) before the caller counts the record as done. An id pushed out of the cache is
 * deleted from the topic too (a tombstone), so the topic stays as bounded as the cache once compacted.
 *
 * Limits: the cache is loaded at start, so ids another member of the group remembers later are not seen here;
 * that is enough when records with one id share a key (and so a partition and a member), the usual case.
 */
export class DedupeStore implements SharedResource {
  readonly #options: DedupeStoreOptions;
  readonly #cache: LruCache<string, true>;

  constructor(options: DedupeStoreOptions) {
    this.#options = options;
    this.#cache = new LruCache(options.capacity);
  }

  get size(): number {
    return this.#cache.size;
  }

  async start(): Promise<void> {
    const { admin, topic } = this.#options;
    const info = await admin.describeTopic(topic);
    const latest = info.partitions.find((p) => p.partition === 0)?.latest ?? 0;
    for (let offset = 0; offset < latest; ) {
      const page = await admin.read({ topic, partition: 0, offset }, PAGE);
      if (page.length === 0) break;
      for (const record of page) {
        if (record.key === null) continue;
        const id = record.key.toString('utf8');
        if (record.value === null) this.#cache.delete(id);
        else this.#cache.set(id, true);
      }
      offset = page[page.length - 1].offset + 1;
    }
  }

  /** Whether `id` was remembered (and is still within capacity). */
  has(id: string): boolean {
    return this.#cache.get(id) !== undefined;
  }

  /** Remembers `id`; resolves once it is durable in the topic. */
  async remember(id: string): Promise<void> {
    const evicted = this.#cache.set(id, true);
    const { topic, producer } = this.#options;
    await producer.send([
      { topic, partition: 0, key: Buffer.from(id), value: Buffer.from(String(Date.now())) },
      ...evicted.map((old) => ({ topic, partition: 0, key: Buffer.from(old), value: null })),
    ]);
  }

  async stop(): Promise<void> {}
}
