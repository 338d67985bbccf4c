/**
 * Collects items for one turn of the event loop and hands them over together: the first `push` of a turn schedules
 * `flush` with `setImmediate` (a macrotask, so every item pushed while the current I/O callbacks run — many HTTP
 * requests, many finished records — joins the same batch), later pushes of the turn only append. For work whose
 * cost is per call rather than per item: a transaction, a message to a worker thread. With `delayMs`, the flush
 * waits that long instead, gathering the items of many turns (for work nobody waits for in the meantime).
 */
export class TurnBatcher<T> {
  readonly #flush: (items: T[]) => void;
  readonly #delayMs: number;
  #items: T[] = [];
  #scheduled = false;

  /** `flush` gets each batch, in push order, never empty; what it throws is not caught here. */
  constructor(flush: (items: T[]) => void, delayMs = 0) {
    this.#flush = flush;
    this.#delayMs = delayMs;
  }

  /** Items waiting for the next flush. */
  get size(): number {
    return this.#items.length;
  }

  push(item: T): void {
    this.#items.push(item);
    if (this.#scheduled) return;
    this.#scheduled = true;
    if (this.#delayMs === 0) setImmediate(() => this.flushNow());
    else setTimeout(() => this.flushNow(), this.#delayMs).unref();
  }

  /** Hands over what is waiting now, synchronously (a scheduled flush then finds nothing). */
  flushNow(): void {
    this.#scheduled = false;
    if (this.#items.length === 0) return;
    const items = this.#items;
    this.#items = [];
    this.#flush(items);
  }

  /** Forgets what is waiting (it is never handed over) and returns it. */
  drop(): T[] {
    const items = this.#items;
    this.#items = [];
    return items;
  }
}
