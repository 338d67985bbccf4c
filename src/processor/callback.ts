import type { Headers } from '../broker/port.ts';

/**
 * What a callback sees of its record and may do (Goka's `Context`). Everything it writes — table value, emitted
 * records — is held in an overlay that becomes part of the batch only when the callback returns; a throw discards
 * it, so a failed attempt leaves the table as it was.
 */
export interface Context<V, O = Record<string, unknown>, L = Record<string, unknown>> {
  readonly group: string;
  readonly topic: string;
  /** The record key as UTF-8 text; `''` for a record without a key (table operations then throw). */
  readonly key: string;
  readonly partition: number;
  readonly offset: number;
  /** Event time: the record's timestamp (epoch ms). */
  readonly timestamp: number;
  /** The partition's stream time: the greatest event time seen in it so far, this record's included. */
  readonly streamTime: number;
  readonly headers: Headers;
  /** From `herald.correlation-id`, else `x-request-id`, else made up; records emitted here carry it. */
  readonly correlationId: string;
  /** This key's table value as this record sees it (its own writes included); `undefined` when there is none. */
  get(): V | undefined;
  /** Sets this key's table value (written to the changelog and local store when the batch commits). */
  set(value: V): void;
  /** Deletes this key's table value (a tombstone in the changelog). */
  delete(): void;
  /** Emits to a declared output topic, in the same atomic commit as the table change and the input offset. */
  emit<K extends keyof O & string>(topic: K, key: string | null, value: O[K], options?: { headers?: Headers }): void;
  /** Reads any key of a declared lookup table (from its local view). */
  lookup<K extends keyof L & string>(table: K, key: string): L[K] | undefined;
  /** Reads this record's key in a declared, co-partitioned join table. */
  join<K extends keyof L & string>(table: K): L[K] | undefined;
  /** Counts this record as too late for a window (the window helpers call it; a metric and the tester show it). */
  reportLate(): void;
}

/**
 * Runs for one input record. `value` is the record's value decoded with its input's codec (`null` for a tombstone);
 * `ctx` reads and writes this key's table value, emits, looks up. Throwing fails the attempt: whatever the attempt
 * did (table writes, emits) is discarded, and the record is retried, then dead-lettered.
 */
export type Callback<V, T, O, L> = (ctx: Context<V, O, L>, value: T | null) => void | Promise<void>;
