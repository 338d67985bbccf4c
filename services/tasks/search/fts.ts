import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { Logger } from 'pino';
import { GroupCommit } from '#herald/outbox';
import type { Task } from '../task.ts';
import type { SearchResult, TaskIndex, TaskQuery } from './task-index.ts';

interface DocRow {
  rowid: number;
  id: string;
  version: number;
  deleted: number;
}

interface HitRow {
  id: string;
  doc: string;
}

/**
 * The embedded search index: SQLite FTS5 (Porter stemming over unicode61, diacritics folded) in a file of the
 * data dir. `docs` holds each task's latest version (or tombstone) and its JSON; `docs_fts` the description under
 * the same rowid. Writes are group-committed and resolve once synced, so the indexer commits its consumer offsets
 * only past what the index holds durably.
 */
export class FtsTaskIndex implements TaskIndex {
  readonly kind = 'fts5';
  readonly #file: string;
  readonly #logger: Logger | undefined;
  #db!: DatabaseSync;
  #commits!: GroupCommit;
  #get!: StatementSync;
  #insert!: StatementSync;
  #update!: StatementSync;
  #insertText!: StatementSync;
  #updateText!: StatementSync;
  #deleteText!: StatementSync;

  constructor(options: { file: string; logger?: Logger }) {
    this.#file = options.file;
    this.#logger = options.logger;
  }

  async start(): Promise<void> {
    mkdirSync(path.dirname(this.#file), { recursive: true });
    const db = new DatabaseSync(this.#file, { timeout: 5_000 });
    db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = NORMAL;
      CREATE TABLE IF NOT EXISTS docs (
        rowid INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        version INTEGER NOT NULL,
        deleted INTEGER NOT NULL,
        priority TEXT,
        is_done INTEGER,
        doc TEXT
      );
      CREATE INDEX IF NOT EXISTS docs_filters ON docs (deleted, priority, is_done, id);
      CREATE VIRTUAL TABLE IF NOT EXISTS docs_fts USING fts5(description, tokenize = 'porter unicode61 remove_diacritics 2');
    `);
    this.#db = db;
    this.#get = db.prepare('SELECT rowid, id, version, deleted FROM docs WHERE id = ?');
    this.#insert = db.prepare(
      'INSERT INTO docs (id, version, deleted, priority, is_done, doc) VALUES (?, ?, ?, ?, ?, ?) RETURNING rowid',
    );
    this.#update = db.prepare(
      'UPDATE docs SET version = ?, deleted = ?, priority = ?, is_done = ?, doc = ? WHERE rowid = ?',
    );
    this.#insertText = db.prepare('INSERT INTO docs_fts (rowid, description) VALUES (?, ?)');
    this.#updateText = db.prepare('UPDATE docs_fts SET description = ? WHERE rowid = ?');
    this.#deleteText = db.prepare('DELETE FROM docs_fts WHERE rowid = ?');
    this.#commits = new GroupCommit({ db, walFile: `${this.#file}-wal`, durability: 'fsync', logger: this.#logger });
  }

  put(task: Task, version: number): Promise<boolean> {
    return this.#commits.run(() => this.#write(task.id, version, task));
  }

  remove(id: string, version: number): Promise<boolean> {
    return this.#commits.run(() => this.#write(id, version, undefined));
  }

  /** Writes `task` (or a tombstone) at `version` unless the index holds that version or newer. */
  #write(id: string, version: number, task: Task | undefined): boolean {
    const existing = this.#get.get(id) as DocRow | undefined;
    if (existing !== undefined && existing.version >= version) return false;
    const values = [
      version,
      task ? 0 : 1,
      task?.priority ?? null,
      task === undefined ? null : task.is_done ? 1 : 0,
      task ? JSON.stringify(task) : null,
    ] as const;
    if (existing === undefined) {
      const { rowid } = this.#insert.get(id, ...values) as { rowid: number };
      if (task) this.#insertText.run(rowid, task.description);
    } else {
      this.#update.run(...values, existing.rowid);
      if (!task) this.#deleteText.run(existing.rowid);
      else if (existing.deleted) this.#insertText.run(existing.rowid, task.description);
      else this.#updateText.run(task.description, existing.rowid);
    }
    return true;
  }

  async search(query: TaskQuery): Promise<SearchResult> {
    const where = ['d.deleted = 0'];
    const params: (string | number)[] = [];
    const match = matchExpression(query.description);
    if (match !== undefined) {
      where.push('docs_fts MATCH ?');
      params.push(match);
    }
    if (query.priority !== undefined) {
      where.push('d.priority = ?');
      params.push(query.priority);
    }
    if (query.is_done !== undefined) {
      where.push('d.is_done = ?');
      params.push(query.is_done ? 1 : 0);
    }
    if (match === undefined && query.description !== undefined) return { tasks: [], total: 0 }; // no words at all
    const from = match === undefined ? 'docs d' : 'docs_fts JOIN docs d ON d.rowid = docs_fts.rowid';
    const filter = `FROM ${from} WHERE ${where.join(' AND ')}`;
    const { total } = this.#db.prepare(`SELECT count(*) AS total ${filter}`).get(...params) as { total: number };
    const order = match === undefined ? 'd.id' : 'bm25(docs_fts), d.id';
    const hits = this.#db
      .prepare(`SELECT d.id, d.doc ${filter} ORDER BY ${order} LIMIT ? OFFSET ?`)
      .all(...params, query.size, query.from) as unknown as HitRow[];
    return { tasks: hits.map((h) => JSON.parse(h.doc) as Task), total };
  }

  async stop(): Promise<void> {
    if (this.#commits === undefined) return;
    await this.#commits.close();
    this.#db.close();
  }
}

/**
 * The words of a free-text query as an FTS5 expression: each word quoted (so no operator syntax leaks through)
 * and all required; undefined when there are none.
 */
export function matchExpression(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const words = text.match(/[\p{L}\p{N}_]+/gu) ?? [];
  if (words.length === 0) return undefined;
  return words.map((w) => `"${w.replaceAll('"', '""')}"`).join(' ');
}
