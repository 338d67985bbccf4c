import { uuidv7 } from '#herald/kit';
import type { StatementSync } from 'node:sqlite';
import type { Logger } from 'pino';
import type { Headers } from '#herald/broker';
import { SqliteOutbox } from '#herald/outbox';
import type { Priority, TaskInput, VersionedTask } from '../task.ts';
import { changedEvent, deletedEvent, type TaskRepository } from './repository.ts';

interface Row {
  id: string;
  description: string;
  priority: Priority;
  start_at: string | null;
  due_at: string | null;
  is_done: number;
  version: number;
}

function toTask(row: Row): VersionedTask {
  return {
    task: {
      id: row.id,
      description: row.description,
      priority: row.priority,
      dates: { start: row.start_at, due: row.due_at },
      is_done: row.is_done === 1,
    },
    version: row.version,
  };
}

/** Tasks in a SQLite file of the data dir (the default), beside the outbox table. */
export class SqliteTaskRepository implements TaskRepository {
  readonly outbox: SqliteOutbox;
  #insert!: StatementSync;
  #select!: StatementSync;
  #update!: StatementSync;
  #delete!: StatementSync;

  constructor(options: { file: string; durability?: 'fsync' | 'os'; logger?: Logger }) {
    this.outbox = new SqliteOutbox(options);
  }

  async start(): Promise<void> {
    const db = this.outbox.db;
    db.exec(`CREATE TABLE IF NOT EXISTS tasks (
      id TEXT PRIMARY KEY,
      description TEXT NOT NULL,
      priority TEXT NOT NULL,
      start_at TEXT,
      due_at TEXT,
      is_done INTEGER NOT NULL,
      version INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    )`);
    const columns = 'id, description, priority, start_at, due_at, is_done, version';
    this.#insert = db.prepare(
      `INSERT INTO tasks (${columns}, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?) RETURNING ${columns}`,
    );
    this.#select = db.prepare(`SELECT ${columns} FROM tasks WHERE id = ?`);
    this.#update = db.prepare(
      `UPDATE tasks SET description = ?, priority = ?, start_at = ?, due_at = ?, is_done = ?, version = version + 1,
       updated_at = ? WHERE id = ? RETURNING ${columns}`,
    );
    this.#delete = db.prepare('DELETE FROM tasks WHERE id = ? RETURNING version');
  }

  create(input: TaskInput, headers?: Headers): Promise<VersionedTask> {
    return this.outbox.transaction((tx) => {
      const row = this.#insert.get(...params(input), Date.now()) as unknown as Row;
      const stored = toTask(row);
      tx.append(changedEvent('created', stored.task, stored.version, headers));
      return stored;
    });
  }

  async find(id: string): Promise<VersionedTask | undefined> {
    const row = this.outbox.read(() => this.#select.get(id)) as Row | undefined;
    return row === undefined ? undefined : toTask(row);
  }

  update(id: string, input: TaskInput, headers?: Headers): Promise<VersionedTask | undefined> {
    return this.outbox.transaction((tx) => {
      const row = this.#update.get(...params(input).slice(1), Date.now(), id) as Row | undefined;
      if (row === undefined) return undefined;
      const stored = toTask(row);
      tx.append(changedEvent('updated', stored.task, stored.version, headers));
      return stored;
    });
  }

  delete(id: string, headers?: Headers): Promise<boolean> {
    return this.outbox.transaction((tx) => {
      const row = this.#delete.get(id) as { version: number } | undefined;
      if (row === undefined) return false;
      tx.append(deletedEvent(id, row.version + 1, headers));
      return true;
    });
  }

  stop(): Promise<void> {
    return this.outbox.close();
  }
}

/** The insert's values: a new id, then the input's columns. */
function params(input: TaskInput): [string, string, string, string | null, string | null, number] {
  return [uuidv7(), input.description, input.priority, input.dates.start, input.dates.due, input.is_done ? 1 : 0];
}
