import type { Headers } from '#herald/broker';
import type { OutboxMessage, OutboxStore } from '#herald/outbox';
import { AGGREGATE_TYPE, EVENT_TYPES, taskEventCodec } from '../events.ts';
import type { Task, TaskInput, VersionedTask } from '../task.ts';

/**
 * Where tasks are kept (SQLite by default, PostgreSQL when configured). Every change writes the task row and its
 * event (through the outbox) in ONE transaction: the event exists if and only if the change committed. A method
 * resolves once the transaction is durable.
 *
 * Each transaction writes the task's row before anything else, so that concurrent writers of one task take their
 * turns on its row — the order the outbox publishes one task's events in (see src/outbox/README.md).
 */
export interface TaskRepository {
  /** The outbox the relay reads. */
  readonly outbox: OutboxStore;
  /** Opens the database and creates the tables if missing. */
  start(): Promise<void>;
  create(input: TaskInput, headers?: Headers): Promise<VersionedTask>;
  find(id: string): Promise<VersionedTask | undefined>;
  /** Replaces the task; undefined when there is none. */
  update(id: string, input: TaskInput, headers?: Headers): Promise<VersionedTask | undefined>;
  /** Deletes the task; false when there was none. */
  delete(id: string, headers?: Headers): Promise<boolean>;
  /** Waits for transactions in flight, then closes the database. */
  stop(): Promise<void>;
}

/** The outbox message of a created or updated task. */
export function changedEvent(kind: 'created' | 'updated', task: Task, version: number, headers?: Headers): OutboxMessage {
  const type = EVENT_TYPES[kind];
  return {
    aggregateType: AGGREGATE_TYPE,
    aggregateId: task.id,
    type,
    payload: taskEventCodec.encode({ type, value: task }),
    version,
    headers,
  };
}

/** The outbox message of a deleted task: it carries the id only. */
export function deletedEvent(id: string, version: number, headers?: Headers): OutboxMessage {
  const type = EVENT_TYPES.deleted;
  return {
    aggregateType: AGGREGATE_TYPE,
    aggregateId: id,
    type,
    payload: taskEventCodec.encode({ type, value: { id } }),
    version,
    headers,
  };
}
