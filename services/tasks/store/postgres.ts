import { uuidv7 } from '#herald/kit';
import type { Logger } from 'pino';
import type { Headers } from '#herald/broker';
import { PostgresOutbox } from '#herald/outbox';
import type { Priority, TaskInput, VersionedTask } from '../task.ts';
import { changedEvent, deletedEvent, type TaskRepository } from './repository.ts';

interface Row {
  id: string;
  description: string;
  priority: Priority;
  start_at: Date | null;
  due_at: Date | null;
  is_done: boolean;
  version: string;
}

const COLUMNS = 'id, description, priority, start_at, due_at, is_done, version';

function toTask(row: Row): VersionedTask {
  return {
    task: {
      id: row.id,
      description: row.description,
      priority: row.priority,
      dates: { start: row.start_at?.toISOString() ?? null, due: row.due_at?.toISOString() ?? null },
      is_done: row.is_done,
    },
    version: Number(row.version),
  };
}

/** Tasks in PostgreSQL (`tasks.database.url`), beside the outbox table. */
export class PostgresTaskRepository implements TaskRepository {
  readonly outbox: PostgresOutbox;

  constructor(options: { url: string; poolSize?: number; logger?: Logger }) {
    this.outbox = new PostgresOutbox(options);
  }

  async start(): Promise<void> {
    await this.outbox.migrate();
    await this.outbox.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['herald-tasks-schema']);
      await tx.query(`CREATE TABLE IF NOT EXISTS tasks (
        id UUID PRIMARY KEY,
        description TEXT NOT NULL,
        priority TEXT NOT NULL,
        start_at TIMESTAMPTZ,
        due_at TIMESTAMPTZ,
        is_done BOOLEAN NOT NULL,
        version BIGINT NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    });
  }

  create(input: TaskInput, headers?: Headers): Promise<VersionedTask> {
    return this.outbox.transaction(async (tx) => {
      const { rows } = await tx.query<Row>(
        `INSERT INTO tasks (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, 1) RETURNING ${COLUMNS}`,
        [uuidv7(), ...values(input)],
      );
      const stored = toTask(rows[0]);
      await tx.append(changedEvent('created', stored.task, stored.version, headers));
      return stored;
    });
  }

  async find(id: string): Promise<VersionedTask | undefined> {
    const { rows } = await this.outbox.query<Row>(`SELECT ${COLUMNS} FROM tasks WHERE id = $1`, [id]);
    return rows.length === 0 ? undefined : toTask(rows[0]);
  }

  update(id: string, input: TaskInput, headers?: Headers): Promise<VersionedTask | undefined> {
    return this.outbox.transaction(async (tx) => {
      const { rows } = await tx.query<Row>(
        `UPDATE tasks SET description = $2, priority = $3, start_at = $4, due_at = $5, is_done = $6,
         version = version + 1, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
        [id, ...values(input)],
      );
      if (rows.length === 0) return undefined;
      const stored = toTask(rows[0]);
      await tx.append(changedEvent('updated', stored.task, stored.version, headers));
      return stored;
    });
  }

  delete(id: string, headers?: Headers): Promise<boolean> {
    return this.outbox.transaction(async (tx) => {
      const { rows } = await tx.query<{ version: string }>('DELETE FROM tasks WHERE id = $1 RETURNING version', [id]);
      if (rows.length === 0) return false;
      await tx.append(deletedEvent(id, Number(rows[0].version) + 1, headers));
      return true;
    });
  }

  stop(): Promise<void> {
    return this.outbox.close();
  }
}

function values(input: TaskInput): unknown[] {
  return [input.description, input.priority, input.dates.start, input.dates.due, input.is_done];
}
