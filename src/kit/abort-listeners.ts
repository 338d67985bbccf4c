/**
 * Items registered per `AbortSignal`, handed to `onAbort` together when their signal aborts — with one `abort`
 * listener per signal, however many items it guards. Adding and removing a listener per item costs a walk over the
 * signal's other listeners, which is quadratic when thousands of requests share one signal (a partition's
 * shutdown signal); here adding and removing an item is a set operation.
 */
export class AbortListeners<T> {
  readonly #onAbort: (items: T[], signal: AbortSignal) => void;
  readonly #bySignal = new WeakMap<AbortSignal, Set<T>>();

  constructor(onAbort: (items: T[], signal: AbortSignal) => void) {
    this.#onAbort = onAbort;
  }

  /** Registers `item` under `signal`; a signal already aborted hands it to `onAbort` at once. */
  add(signal: AbortSignal, item: T): void {
    if (signal.aborted) return this.#onAbort([item], signal);
    let items = this.#bySignal.get(signal);
    if (items === undefined) {
      const registered = new Set<T>();
      items = registered;
      this.#bySignal.set(signal, registered);
      signal.addEventListener(
        'abort',
        () => {
          this.#bySignal.delete(signal);
          if (registered.size > 0) this.#onAbort([...registered], signal);
        },
        { once: true },
      );
    }
    items.add(item);
  }

  /** Forgets `item` (it finished before the signal aborted). */
  delete(signal: AbortSignal, item: T): void {
    this.#bySignal.get(signal)?.delete(item);
  }
}
