import type { RestoreState } from './restore.ts';

/** What the admin API shows of one processor. */
export interface ProcessorStatus {
  group: string;
  guarantee: 'exactly-once' | 'at-least-once';
  state: 'new' | 'starting' | 'running' | 'stopped';
  /** Owned partitions with their table size, input lag (measured every few seconds) and restore state. */
  partitions: { partition: number; tableKeys: number; lag: number | undefined; restore: RestoreState | undefined }[];
  /** Partitions kept warm without being owned (hot standby). */
  standby: number[];
}

/** What the admin API shows of one view. */
export interface ViewStatus {
  table: string;
  caughtUp: boolean;
  lag: number;
  partitions: { partition: number; position: number; end: number }[];
}

/** Something that reports its status (a processor or a view). */
export interface StatusSource<S> {
  status(): S;
}

/**
 * The processors and views of one Herald process, read by the admin core (`GET /admin/processors`, `herald
 * processors list`). Made by whoever boots the process and handed to services in their `ServiceContext` (no global:
 * tests and several apps in one process stay apart).
 */
export class ProcessorRegistry {
  readonly #processors = new Set<StatusSource<ProcessorStatus>>();
  readonly #views = new Set<StatusSource<ViewStatus>>();

  /** Adds a processor; returns its removal. */
  addProcessor(source: StatusSource<ProcessorStatus>): () => void {
    this.#processors.add(source);
    return () => this.#processors.delete(source);
  }

  addView(source: StatusSource<ViewStatus>): () => void {
    this.#views.add(source);
    return () => this.#views.delete(source);
  }

  /** Every processor registered now. */
  processors(): StatusSource<ProcessorStatus>[] {
    return [...this.#processors];
  }

  /** Every view registered now. */
  views(): StatusSource<ViewStatus>[] {
    return [...this.#views];
  }
}
