/**
 * When a transactional committer's next transaction starts. Under load — a commit made while a transaction runs, or
 * after one that carried several calls or {@link LOADED_RECORDS}+ records — it starts `intervalMs` after the last
 * one's start, and the calls made meanwhile join it: fewer, larger transactions, each of which costs Kafka five
 * requests and the markers it writes (see `DEFAULT_TRANSACTION_INTERVAL_MS`). Otherwise at once: a sparse commit,
 * such as a lone processor's one record, does not wait.
 */

/** A transaction with this many records (or several calls) means load. */
export const LOADED_RECORDS = 16;

export class TransactionSpacing {
  readonly #intervalMs: number;
  /** When the last transaction started (`performance.now()`). */
  #lastStart = -Infinity;
  #running = false;
  /** Whether the last transaction carried several calls or at least {@link LOADED_RECORDS} records. */
  #loaded = false;

  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }

  /**
   * For a transaction being scheduled now (its first call just came): a function giving the milliseconds to wait
   * once it may run (after the one in flight, if any), 0 for at once.
   */
  schedule(): () => number {
    const spaced = this.#running || this.#loaded;
    return () => (spaced ? Math.max(0, this.#lastStart + this.#intervalMs - performance.now()) : 0);
  }

  /** A transaction starts now, with these calls and records. */
  started(calls: number, records: number): void {
    this.#lastStart = performance.now();
    this.#running = true;
    this.#loaded = calls > 1 || records >= LOADED_RECORDS;
  }

  /** The transaction ended (committed, aborted or not started after all). */
  ended(): void {
    this.#running = false;
  }
}
