import type { Priority, Task } from '../task.ts';

/** `POST /tasks/search`: every given filter must hold; `description` matches words (any order, stemmed). */
export interface TaskQuery {
  description?: string;
  priority?: Priority;
  is_done?: boolean;
  /** Results to skip. */
  from: number;
  /** Results to return. */
  size: number;
}

export interface SearchResult {
  tasks: Task[];
  /** Matching tasks in all. */
  total: number;
}

/**
 * The search index the indexer keeps and `POST /tasks/search` reads (SQLite FTS5 by default, OpenSearch when
 * configured). Writes carry the task's version and are applied only when newer than what the index holds for the
 * task — deletions included, which the index remembers — so replays, duplicates and reordering are harmless.
 * Results order: best text match first when `description` is given, then by id.
 */
export interface TaskIndex {
  readonly kind: string;
  start(): Promise<void>;
  /** Stores the task at `version`. @returns false when the index holds that version or a newer one already. */
  put(task: Task, version: number): Promise<boolean>;
  /** Removes the task as of `version` (deleted tasks are kept as versioned tombstones, never found). */
  remove(id: string, version: number): Promise<boolean>;
  search(query: TaskQuery): Promise<SearchResult>;
  stop(): Promise<void>;
}
