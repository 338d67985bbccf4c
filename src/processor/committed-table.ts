import type { StoreWriter } from '../state/store-writer.ts';
import type { KeyValueStore } from '../state/store.ts';
import type { TableChange } from './core.ts';
import { ValueCache } from './value-cache.ts';

/**
 * A group table's committed values on this instance: writes not yet in the store, then a cache of recently used
 * values (bytes, and absence) bounded by their size for all partitions together ({@link ValueCache}), then the
 * local store. Written only after a batch's commit
 * succeeded, with the partition's new checkpoint, so the store stays an exact prefix of the changelog.
 *
 * With a {@link StoreWriter} the store is written behind, on a thread of its own, in the order of the commits;
 * values stay readable here (pending) until their write is in the file. A failed write stops the write-behind
 * (later writes would move checkpoints past the lost changes): `onLost` is told, pending values are dropped, and
 * the store is written here from then on — the caller restores its partitions from their checkpoints.
 */
export class CommittedTable {
  readonly store: KeyValueStore;
  readonly #cache: ValueCache;
  readonly #pending = new Map<number, Map<string, Buffer | null>>();
  readonly #inflight = new Set<Promise<void>>();
  #writer: StoreWriter | undefined;
  readonly #onLost: (err: unknown) => void;

  /** `cacheBytes`: the most the cached values, with their keys, take in memory (roughly). */
  constructor(store: KeyValueStore, cacheBytes: number, writer?: StoreWriter, onLost: (err: unknown) => void = () => {}) {
    this.store = store;
    this.#cache = new ValueCache(cacheBytes);
    this.#writer = writer;
    this.#onLost = onLost;
  }

  /** The committed values of `keys` (absent keys map to `undefined`): pending, cached, the rest in one query. */
  readMany(partition: number, keys: Iterable<string>): Map<string, Buffer | undefined> {
    const cache = this.#cache;
    const pending = this.#pending.get(partition);
    const out = new Map<string, Buffer | undefined>();
    const misses: string[] = [];
    for (const key of keys) {
      if (out.has(key)) continue;
      const written = pending?.get(key);
      if (written !== undefined) {
        out.set(key, written ?? undefined);
        continue;
      }
      const cached = cache.get(partition, key);
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
        cache.set(partition, key, bytes ?? null);
      }
    }
    return out;
  }

  /** Applies a committed batch's changes with the partition's new checkpoint (`undefined`: unchanged). */
  apply(partition: number, changes: Iterable<TableChange>, checkpoint: number | undefined): void {
    const list = [...changes];
    const write = {
      changes: list.map((c) => ({ partition, key: c.key, value: c.bytes })),
      checkpoints: checkpoint === undefined ? new Map<number, number>() : new Map([[partition, checkpoint]]),
    };
    for (const c of list) this.#cache.set(partition, c.key, c.bytes);
    const writer = this.#writer;
    if (writer === undefined) {
      this.store.apply(write);
      return;
    }
    let pending = this.#pending.get(partition);
    if (pending === undefined) this.#pending.set(partition, (pending = new Map()));
    for (const c of list) pending.set(c.key, c.bytes);
    const done = writer.write(write).then(
      () => {
        const now = this.#pending.get(partition);
        for (const c of list) if (now?.get(c.key) === c.bytes) now.delete(c.key);
      },
      (err: unknown) => this.#lose(writer, err),
    );
    this.#inflight.add(done);
    void done.finally(() => this.#inflight.delete(done));
  }

  /** Resolves once every write so far is in the store (or was lost). */
  async flush(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.all([...this.#inflight]);
  }

  /** Forgets the cache of a partition (it moved away, or the store under it was rebuilt). Flush first. */
  forget(partition: number): void {
    this.#cache.forget(partition);
  }

  #lose(writer: StoreWriter, err: unknown): void {
    if (this.#writer !== writer) return;
    this.#writer = undefined;
    this.#pending.clear();
    this.#cache.clear();
    void writer.close();
    this.#onLost(err);
  }
}
