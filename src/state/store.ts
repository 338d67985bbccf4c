/**
 * The local store of a group table (or of a view): encoded values by partition and key, and per partition a
 * checkpoint — the next changelog offset the partition's data reflects. Data and checkpoints change only together
 * ({@link KeyValueStore.apply}), so a partition's data is always exactly the changelog's prefix up to its
 * checkpoint; whoever restores replays the changelog from there.
 *
 * Calls are synchronous: the store sits on the processing path of every record (node:sqlite is synchronous and a
 * read of a cached page costs microseconds; an in-memory one is a map look-up).
 */
export interface KeyValueStore {
  /** `memory` or `sqlite`. */
  readonly kind: string;
  /** The value of `key` in `partition`, `undefined` if absent. */
  get(partition: number, key: string): Buffer | undefined;
  /** The values of `keys` in `partition` that exist (one query for the lot: what a batch of records reads). */
  getMany(partition: number, keys: readonly string[]): Map<string, Buffer>;
  /** Every entry of `partition`, in key order (sqlite) or insertion order (memory). */
  entries(partition: number): Iterable<[key: string, value: Buffer]>;
  /** Number of keys in `partition`. */
  size(partition: number): number;
  /** The partition's checkpoint, `undefined` when it has none (never restored or dropped). */
  checkpoint(partition: number): number | undefined;
  /** Partitions that have a checkpoint. */
  partitions(): number[];
  /**
   * Applies `write` atomically: all of its changes and checkpoints, or (on a throw) none. A `null` value deletes.
   * Changes of one key are applied in the order given (the last wins).
   */
  apply(write: StoreWrite): void;
  /** Forgets a partition: its data and its checkpoint (the next restore starts from scratch). */
  dropPartition(partition: number): void;
  /** Releases the store. Idempotent; other calls after it throw. */
  close(): void;
}

/** One change of a {@link StoreWrite}: a key's new value, or `null` to delete it. */
export interface StoreChange {
  partition: number;
  key: string;
  value: Buffer | null;
}

/** Changes applied with new checkpoints, atomically. */
export interface StoreWrite {
  changes: StoreChange[];
  /** New checkpoint per partition (partition → next changelog offset). */
  checkpoints: Map<number, number>;
}

/** Why a store file was not trusted and had to be started afresh (logged, counted, shown by the admin API). */
export interface StoreReset {
  path: string;
  reason: string;
}
