import type { OutboxRow } from './message.ts';

/**
 * The relay's side of an outbox store (SQLite or PostgreSQL). The writers' side is each store's own
 * `transaction(work)` helper, since what a transaction looks like differs (SQLite: synchronous work on one
 * connection; PostgreSQL: async work on a pooled client).
 */
export interface OutboxStore {
  /** `sqlite` or `postgres`, for logs. */
  readonly kind: string;
  /**
   * Opens a relay session. Resolves once this process may relay: with PostgreSQL, only one session in the
   * database at a time (an advisory lock), so that two relays never interleave one aggregate's events; waiting
   * stops with `signal` (then it rejects). `onCommit` is called whenever transactions that appended rows have
   * committed — durably — from then on (SQLite: in-process after the sync; PostgreSQL: LISTEN/NOTIFY), so that
   * the relay never has to poll quickly.
   */
  openRelay(onCommit: () => void, signal: AbortSignal): Promise<OutboxReader>;
}

/** Rows the relay may publish now. */
export interface OutboxBatch {
  /** Unpublished rows in publishing order: per aggregate, the order their transactions committed in. */
  rows: OutboxRow[];
  /**
   * Some committed rows are held back because an older transaction is still open (PostgreSQL: they are past the
   * snapshot's xmin); they become readable when it ends, which may not notify, so the relay polls again shortly.
   */
  heldBack: boolean;
}

/** One relay session on a store. Calls are made one at a time. */
export interface OutboxReader {
  /**
   * Up to `limit` unpublished rows, oldest first. Never skips a row: a row committed out of sequence order by a
   * concurrent transaction is returned by a later fetch, before any row of its aggregate committed after it.
   */
  fetch(limit: number): Promise<OutboxBatch>;
  /** Marks rows published (they are no longer fetched), at `at` (ms since the epoch). */
  markPublished(ids: readonly number[], at: number): Promise<void>;
  /** Deletes up to `limit` rows published before `before`. @returns how many. */
  deletePublished(before: number, limit: number): Promise<number>;
  /** Ends the session (PostgreSQL: releases the lock and the connection). Idempotent. */
  close(): Promise<void>;
}
