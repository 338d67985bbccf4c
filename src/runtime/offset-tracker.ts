import { HeraldError } from '../errors.ts';

/**
 * Which records of one partition are done, and so how far the partition may be committed.
 *
 * Commit contract (at-least-once): the committable offset is the offset of the oldest handed-over record that is
 * not done yet — every record before it is done — or, when all are done, one past the newest handed-over record.
 * It never passes a record that is still running, waiting to retry, or abandoned after a failure, so after a crash
 * or a reassignment that record and everything after it is handed over again. Offsets may have gaps (compacted
 * topics, transaction markers); only handed-over offsets matter.
 */
export class OffsetTracker {
  /**
   * Handed-over offsets, ascending, from `#head` on: the oldest not-done one first, then younger ones done or not.
   * An array with a moving head rather than a set of pending offsets: records mostly finish in offset order, and
   * then marking one done is a comparison and an index bump.
   */
  #order: number[] = [];
  #head = 0;
  /** Offsets done while an older one was not (they wait in `#order` until the head passes them). */
  readonly #doneAhead = new Set<number>();
  /** One past the newest handed-over offset; `undefined` before the first. */
  #end: number | undefined;

  /** Records handed over and not done. */
  get inFlight(): number {
    return this.#order.length - this.#head - this.#doneAhead.size;
  }

  /** One past the newest offset handed over, or `undefined` before any. */
  get end(): number | undefined {
    return this.#end;
  }

  /** The offset to commit now (Kafka convention: the next to consume), or `undefined` if nothing was handed over. */
  get committable(): number | undefined {
    return this.#head < this.#order.length ? this.#order[this.#head] : this.#end;
  }

  /**
   * Starts tracking `offset`. Offsets must ascend; an offset below one already tracked is a duplicate hand-over and
   * is refused with `false` (the caller skips the record).
   */
  add(offset: number): boolean {
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new HeraldError('HERALD_INVALID_ARGUMENT', `offset ${offset} is not a non-negative integer`);
    }
    if (this.#end !== undefined && offset < this.#end) return false;
    this.#order.push(offset);
    this.#end = offset + 1;
    return true;
  }

  /** Marks a tracked offset done. An unknown or already-done offset is ignored. */
  done(offset: number): void {
    const order = this.#order;
    if (this.#head >= order.length) return;
    if (offset !== order[this.#head]) {
      if (offset > order[this.#head] && !this.#doneAhead.has(offset) && this.#tracked(offset)) {
        this.#doneAhead.add(offset);
      }
      return;
    }
    let head = this.#head + 1;
    while (head < order.length && this.#doneAhead.delete(order[head])) head += 1;
    if (head === order.length) {
      this.#order = [];
      this.#head = 0;
    } else if (head >= 1024 && head * 2 >= order.length) {
      this.#order = order.slice(head);
      this.#head = 0;
    } else {
      this.#head = head;
    }
  }

  /** Whether `offset` was handed over and not passed yet (binary search: `#order` ascends). */
  #tracked(offset: number): boolean {
    const order = this.#order;
    let low = this.#head;
    let high = order.length - 1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      if (order[mid] === offset) return true;
      if (order[mid] < offset) low = mid + 1;
      else high = mid - 1;
    }
    return false;
  }
}
