import { HeraldError } from '../errors.ts';
import type { KeyValueStore, StoreWrite } from './store.ts';

/**
 * A {@link KeyValueStore} in memory: the topology tester's, a view's when asked for, and the cheapest choice for a
 * processor whose table restores fast (nothing survives the process: every start is a cold restore).
 */
export class MemoryStore implements KeyValueStore {
  readonly kind = 'memory';
  readonly #data = new Map<number, Map<string, Buffer>>();
  readonly #checkpoints = new Map<number, number>();
  #closed = false;

  get(partition: number, key: string): Buffer | undefined {
    this.#open();
    return this.#data.get(partition)?.get(key);
  }

  getMany(partition: number, keys: readonly string[]): Map<string, Buffer> {
    this.#open();
    const out = new Map<string, Buffer>();
    const data = this.#data.get(partition);
    if (data === undefined) return out;
    for (const key of keys) {
      const value = data.get(key);
      if (value !== undefined) out.set(key, value);
    }
    return out;
  }

  *entries(partition: number): Iterable<[string, Buffer]> {
    this.#open();
    const data = this.#data.get(partition);
    if (data !== undefined) yield* [...data.entries()];
  }

  size(partition: number): number {
    this.#open();
    return this.#data.get(partition)?.size ?? 0;
  }

  checkpoint(partition: number): number | undefined {
    this.#open();
    return this.#checkpoints.get(partition);
  }

  partitions(): number[] {
    this.#open();
    return [...this.#checkpoints.keys()].sort((a, b) => a - b);
  }

  apply(write: StoreWrite): void {
    this.#open();
    // Nothing below can throw halfway: the write is all-or-nothing by construction.
    for (const { partition, key, value } of write.changes) {
      let data = this.#data.get(partition);
      if (value === null) {
        data?.delete(key);
        continue;
      }
      if (data === undefined) {
        data = new Map();
        this.#data.set(partition, data);
      }
      data.set(key, value);
    }
    for (const [partition, offset] of write.checkpoints) this.#checkpoints.set(partition, offset);
  }

  dropPartition(partition: number): void {
    this.#open();
    this.#data.delete(partition);
    this.#checkpoints.delete(partition);
  }

  close(): void {
    this.#closed = true;
  }

  #open(): void {
    if (this.#closed) throw new HeraldError('HERALD_INVALID_ARGUMENT', 'the store is closed');
  }
}
