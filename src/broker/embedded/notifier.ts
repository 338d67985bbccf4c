/**
 * Wakes fetchers waiting at the end of a partition when a write commits, so consumers never poll. A waiter is
 * called once (then forgotten) on the next commit that appended to its log.
 */
export class Notifier {
  readonly #waiters = new Map<number, Set<() => void>>();

  /** Calls `wake` after the next commit that appends to log `logId`; returns a function that cancels the wait. */
  wait(logId: number, wake: () => void): () => void {
    let set = this.#waiters.get(logId);
    if (set === undefined) {
      set = new Set();
      this.#waiters.set(logId, set);
    }
    set.add(wake);
    return () => {
      set.delete(wake);
      if (set.size === 0 && this.#waiters.get(logId) === set) this.#waiters.delete(logId);
    };
  }

  notify(logId: number): void {
    const set = this.#waiters.get(logId);
    if (set === undefined) return;
    this.#waiters.delete(logId);
    for (const wake of set) wake();
  }
}
