import type { StatusWrite } from './schema.ts';

/** Messages to the status thread: writes to commit together (answered by `seq`), or a purge. */
export type ToStatusThread =
  | { type: 'write'; seq: number; writes: StatusWrite[] }
  | { type: 'purge'; seq: number; cutoff: string; destinations: number; limit: number }
  | { type: 'close' };

/**
 * Answers: `error` set when the batch was not written (nothing of it was), with `retriable` when the cause may pass
 * (a full disk, an I/O error, a busy file) rather than being in the writes themselves; `purged` for a purge.
 */
export type FromStatusThread =
  | { type: 'done'; seq: number; error?: string; retriable?: boolean; purged?: number }
  | { type: 'closed' };
