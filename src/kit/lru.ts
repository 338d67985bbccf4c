const NONE_EVICTED: readonly never[] = Object.freeze([]);

interface Entry<K, V> {
  key: K;
  value: V;
  weight: number;
  /** Towards the least recently used end. */
  older: Entry<K, V> | undefined;
  /** Towards the most recently used end. */
  newer: Entry<K, V> | undefined;
}

/**
 * A bounded map that forgets the least recently used entries beyond `capacity` — a number of entries, or, given
 * `weigh`, a total weight (bytes, say). Every operation is O(1): a `Map` to find entries and a linked list to order
 * them. (Evicting through a `Map`'s own insertion order — deleting
 * `keys().next()` — looks O(1) but is not: V8 leaves deleted entries in place until the table is rebuilt, and each
 * new iterator walks past them, so at capacity every eviction cost a scan of up to the whole table.)
 */
export class LruCache<K, V> {
  readonly capacity: number;
  readonly #entries = new Map<K, Entry<K, V>>();
  readonly #weigh: ((key: K, value: V) => number) | undefined;
  #weight = 0;
  #oldest: Entry<K, V> | undefined;
  #newest: Entry<K, V> | undefined;

  /** `weigh`: an entry's weight; then `capacity` bounds the total weight instead of the number of entries. */
  constructor(capacity: number, weigh?: (key: K, value: V) => number) {
    this.capacity = capacity;
    this.#weigh = weigh;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The total weight held (the number of entries without `weigh`). */
  get weight(): number {
    return this.#weight;
  }

  /** The value, marking the entry as recently used. */
  get(key: K): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#unlink(entry);
    this.#append(entry);
    return entry.value;
  }

  /** The value, leaving the order as it is. */
  peek(key: K): V | undefined {
    return this.#entries.get(key)?.value;
  }

  has(key: K): boolean {
    return this.#entries.has(key);
  }

  /** The least recently used entry, leaving the order as it is. */
  oldest(): { key: K; value: V } | undefined {
    const entry = this.#oldest;
    return entry === undefined ? undefined : { key: entry.key, value: entry.value };
  }

  /** The entries from the most recently used to the least, without changing the order. */
  *newestFirst(): Generator<[K, V]> {
    for (let entry = this.#newest; entry !== undefined; entry = entry.older) yield [entry.key, entry.value];
  }

  /**
   * Stores the entry as the most recent; returns the keys evicted to stay within capacity (one shared empty array
   * when none were, so that the common case allocates nothing).
   */
  set(key: K, value: V): readonly K[] {
    const weight = this.#weigh === undefined ? 1 : this.#weigh(key, value);
    const existing = this.#entries.get(key);
    if (existing !== undefined) {
      this.#weight += weight - existing.weight;
      existing.value = value;
      existing.weight = weight;
      this.#unlink(existing);
      this.#append(existing);
    } else {
      const entry: Entry<K, V> = { key, value, weight, older: undefined, newer: undefined };
      this.#entries.set(key, entry);
      this.#weight += weight;
      this.#append(entry);
    }
    if (this.#weight <= this.capacity) return NONE_EVICTED;
    const evicted: K[] = [];
    // An entry heavier than the whole capacity is not kept either.
    while (this.#weight > this.capacity && this.#oldest !== undefined) {
      const oldest = this.#oldest;
      this.#remove(oldest);
      evicted.push(oldest.key);
    }
    return evicted;
  }

  delete(key: K): boolean {
    const entry = this.#entries.get(key);
    if (entry === undefined) return false;
    this.#remove(entry);
    return true;
  }

  /** Deletes every entry whose key matches; returns how many. O(entries). */
  deleteWhere(matches: (key: K) => boolean): number {
    let deleted = 0;
    for (const entry of [...this.#entries.values()]) {
      if (!matches(entry.key)) continue;
      this.#remove(entry);
      deleted++;
    }
    return deleted;
  }

  #remove(entry: Entry<K, V>): void {
    this.#unlink(entry);
    this.#entries.delete(entry.key);
    this.#weight -= entry.weight;
  }

  #append(entry: Entry<K, V>): void {
    entry.older = this.#newest;
    entry.newer = undefined;
    if (this.#newest !== undefined) this.#newest.newer = entry;
    else this.#oldest = entry;
    this.#newest = entry;
  }

  #unlink(entry: Entry<K, V>): void {
    if (entry.older !== undefined) entry.older.newer = entry.newer;
    else this.#oldest = entry.newer;
    if (entry.newer !== undefined) entry.newer.older = entry.older;
    else this.#newest = entry.older;
    entry.older = undefined;
    entry.newer = undefined;
  }
}
