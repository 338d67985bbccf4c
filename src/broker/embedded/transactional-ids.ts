/**
 * Who holds each transactional id in this broker. A consumer claims its id when it starts; a later claim of the
 * same id fences the earlier holder (its `commitTransaction` calls reject with `HERALD_FENCED` from then on), as a
 * Kafka transaction coordinator fences an older producer epoch.
 */
export class TransactionalIds {
  readonly #holders = new Map<string, object>();

  /** Makes `holder` the owner of `id`; the previous owner, if any, is fenced. */
  claim(id: string, holder: object): void {
    this.#holders.set(id, holder);
  }

  /** Whether `holder` still owns `id`. */
  holds(id: string, holder: object): boolean {
    return this.#holders.get(id) === holder;
  }

  /** Forgets `id` if `holder` owns it (a closed consumer). */
  release(id: string, holder: object): void {
    if (this.#holders.get(id) === holder) this.#holders.delete(id);
  }
}
