/**
 * A bounded map that forgets the least recently used entry beyond `capacity` (a `Map` keeps insertion order, so
 * re-inserting on use is enough).
 */
export class LruCache<K, V> {
  readonly capacity: number;
  readonly #entries = new Map<K, V>();

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The value, marking the entry as recently used. */
  get(key: K): V | undefined {
    const value = this.#entries.get(key);
    if (value !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, value);
    }
    return value;
  }

  has(key: K): boolean {
    return this.#entries.has(key);
  }

  /** Stores the entry as the most recent; returns the keys evicted to stay within capacity. */
  set(key: K, value: V): K[] {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    const evicted: K[] = [];
    while (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next().value as K;
      this.#entries.delete(oldest);
      evicted.push(oldest);
    }
    return evicted;
  }

  delete(key: K): boolean {
    return this.#entries.delete(key);
  }
}
