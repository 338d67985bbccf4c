interface Entry<K, V> {
  key: K;
  value: V;
  /** Towards the least recently used end. */
  older: Entry<K, V> | undefined;
  /** Towards the most recently used end. */
  newer: Entry<K, V> | undefined;
}

/**
 * A bounded map that forgets the least recently used entry beyond `capacity`. Every operation is O(1): a `Map` to
 * find entries and a linked list to order them. (Evicting through a `Map`'s own insertion order — deleting
 * `keys().next()` — looks O(1) but is not: V8 leaves deleted entries in place until the table is rebuilt, and each
 * new iterator walks past them, so at capacity every eviction cost a scan of up to the whole table.)
 */
export class LruCache<K, V> {
  readonly capacity: number;
  readonly #entries = new Map<K, Entry<K, V>>();
  #oldest: Entry<K, V> | undefined;
  #newest: Entry<K, V> | undefined;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get size(): number {
    return this.#entries.size;
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

  /** Stores the entry as the most recent; returns the keys evicted to stay within capacity. */
  set(key: K, value: V): K[] {
    const existing = this.#entries.get(key);
    if (existing !== undefined) {
      existing.value = value;
      this.#unlink(existing);
      this.#append(existing);
      return [];
    }
    const entry: Entry<K, V> = { key, value, older: undefined, newer: undefined };
    this.#entries.set(key, entry);
    this.#append(entry);
    const evicted: K[] = [];
    while (this.#entries.size > this.capacity && this.#oldest !== undefined) {
      const oldest = this.#oldest;
      this.#unlink(oldest);
      this.#entries.delete(oldest.key);
      evicted.push(oldest.key);
    }
    return evicted;
  }

  delete(key: K): boolean {
    const entry = this.#entries.get(key);
    if (entry === undefined) return false;
    this.#unlink(entry);
    return this.#entries.delete(key);
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
