import { LruCache } from '../runtime/lru.ts';
import type { KeyValueStore } from '../state/store.ts';
import type { TableChange } from './core.ts';

/**
 * A group table's committed values on this instance: the local store with an LRU of recently used values (bytes,
 * and absence) in front, per partition. Written only after a batch's commit succeeded, together with the
 * partition's new checkpoint, so the store stays an exact prefix of the changelog.
 */
export class CommittedTable {
  readonly store: KeyValueStore;
  readonly #cacheSize: number;
  readonly #caches = new Map<number, LruCache<string, Buffer | null>>();

  constructor(store: KeyValueStore, cacheSize: number) {
    this.store = store;
    this.#cacheSize = cacheSize;
  }

  read(partition: number, key: string): Buffer | undefined {
    const cache = this.#cache(partition);
    const cached = cache.get(key);
    if (cached !== undefined) return cached ?? undefined;
    const bytes = this.store.get(partition, key);
    cache.set(key, bytes ?? null);
    return bytes;
  }

  /** The committed values of `keys` (absent keys map to `undefined`): cache hits, the misses in one store query. */
  readMany(partition: number, keys: Iterable<string>): Map<string, Buffer | undefined> {
    const cache = this.#cache(partition);
    const out = new Map<string, Buffer | undefined>();
    const misses: string[] = [];
    for (const key of keys) {
      if (out.has(key)) continue;
      const cached = cache.get(key);
      if (cached === undefined) {
        misses.push(key);
        out.set(key, undefined);
      } else out.set(key, cached ?? undefined);
    }
    if (misses.length > 0) {
      const found = this.store.getMany(partition, misses);
      for (const key of misses) {
        const bytes = found.get(key);
        out.set(key, bytes);
        cache.set(key, bytes ?? null);
      }
    }
    return out;
  }

  /** Applies a committed batch's changes with the partition's new checkpoint (`undefined`: unchanged). */
  apply(partition: number, changes: Iterable<TableChange>, checkpoint: number | undefined): void {
    const list = [...changes];
    this.store.apply({
      changes: list.map((c) => ({ partition, key: c.key, value: c.bytes })),
      checkpoints: checkpoint === undefined ? new Map() : new Map([[partition, checkpoint]]),
    });
    const cache = this.#cache(partition);
    for (const c of list) cache.set(c.key, c.bytes);
  }

  /** Forgets the cache of a partition (it moved away, or the store under it was rebuilt). */
  forget(partition: number): void {
    this.#caches.delete(partition);
  }

  #cache(partition: number): LruCache<string, Buffer | null> {
    let cache = this.#caches.get(partition);
    if (cache === undefined) this.#caches.set(partition, (cache = new LruCache(this.#cacheSize)));
    return cache;
  }
}
