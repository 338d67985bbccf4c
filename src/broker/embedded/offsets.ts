import type { Store } from './store.ts';

/** Committed offsets of every group, mirrored in memory; the writer updates it after each durable commit. */
export class CommittedOffsets {
  readonly #byGroup = new Map<string, Map<number, number>>();

  constructor(store: Store) {
    for (const row of store.loadOffsets()) this.set(row.group_id, row.log_id, row.off);
  }

  get(group: string, logId: number): number | null {
    return this.#byGroup.get(group)?.get(logId) ?? null;
  }

  set(group: string, logId: number, offset: number): void {
    let logs = this.#byGroup.get(group);
    if (logs === undefined) {
      logs = new Map();
      this.#byGroup.set(group, logs);
    }
    logs.set(logId, offset);
  }

  /** Log ids the group has committed, with their offsets. */
  ofGroup(group: string): ReadonlyMap<number, number> {
    return this.#byGroup.get(group) ?? new Map();
  }

  groups(): string[] {
    return [...this.#byGroup.keys()];
  }

  /** Forgets offsets of deleted logs (their rows were deleted in the same transaction as the topic). */
  forgetLogs(logIds: number[]): void {
    for (const [group, logs] of this.#byGroup) {
      for (const id of logIds) logs.delete(id);
      if (logs.size === 0) this.#byGroup.delete(group);
    }
  }
}
