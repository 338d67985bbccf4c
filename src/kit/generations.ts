/**
 * A bounded memory of recent entries, cheaper than an LRU: two plain maps, the young one taking every write. When
 * the young one holds half the capacity it becomes the old one and the old one is dropped, so an entry is kept for
 * at least half the capacity's worth of later writes and at most the whole of it. A read does not refresh an entry
 * (use `LruCache` where that matters). Every operation is one or two `Map` operations: no list links to touch and no
 * eviction per write. (In the delivery status memory, 100,000 entries per destination, the LRU's `peek` and `set`
 * were 3–4% of the event loop in the delivery benchmark; the processors' `ValueCache` uses the same scheme per
 * partition, bounded by bytes.)
 */
export class Generations<K, V> {
  readonly #half: number;
  #young = new Map<K, V>();
  #old = new Map<K, V>();

  /** `capacity`: the most entries kept (at least 2). */
  constructor(capacity: number) {
    this.#half = Math.max(1, Math.floor(capacity / 2));
  }

  /** Entries held now (an entry in both generations counts once per generation). */
  get size(): number {
    return this.#young.size + this.#old.size;
  }

  get(key: K): V | undefined {
    const young = this.#young.get(key);
    return young !== undefined ? young : this.#old.get(key);
  }

  set(key: K, value: V): void {
    this.#young.set(key, value);
    if (this.#young.size >= this.#half) {
      this.#old = this.#young;
      this.#young = new Map();
    }
  }

  delete(key: K): void {
    this.#young.delete(key);
    this.#old.delete(key);
  }
}
