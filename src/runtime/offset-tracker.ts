import { HeraldError } from '../errors.ts';
import { Queue } from './queue.ts';

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
  /** Handed-over offsets, ascending, from the oldest not-done one on (done ones behind it linger until passed). */
  readonly #order = new Queue<number>();
  /** Handed-over offsets not done yet. */
  readonly #notDone = new Set<number>();
  /** One past the newest handed-over offset; `undefined` before the first. */
  #end: number | undefined;

  /** Records handed over and not done. */
  get inFlight(): number {
    return this.#notDone.size;
  }

  /** One past the newest offset handed over, or `undefined` before any. */
  get end(): number | undefined {
    return this.#end;
  }

  /** The offset to commit now (Kafka convention: the next to consume), or `undefined` if nothing was handed over. */
  get committable(): number | undefined {
    return this.#order.peek() ?? this.#end;
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
    this.#notDone.add(offset);
    this.#end = offset + 1;
    return true;
  }

  /** Marks a tracked offset done. An unknown or already-done offset is ignored. */
  done(offset: number): void {
    if (!this.#notDone.delete(offset)) return;
    for (let head = this.#order.peek(); head !== undefined && !this.#notDone.has(head); head = this.#order.peek()) {
      this.#order.shift();
    }
  }
}
