/**
 * The `tasks` topic's events, as the original service published them: JSON `{"type", "value"}`, keyed by task
 * id. `created` and `updated` carry the whole task, `deleted` carries `{"id"}`. The outbox adds the event id and
 * the task's version (`herald.aggregate.version`) as headers.
 */
import { jsonCodec } from '#herald';
import { taskSchema, type Task, UUID_PATTERN } from './task.ts';

export const EVENT_TYPES = {
  created: 'tasks.event.created',
  updated: 'tasks.event.updated',
  deleted: 'tasks.event.deleted',
} as const;

export type TaskEventType = (typeof EVENT_TYPES)[keyof typeof EVENT_TYPES];

export type TaskEvent =
  | { type: typeof EVENT_TYPES.created; value: Task }
  | { type: typeof EVENT_TYPES.updated; value: Task }
  | { type: typeof EVENT_TYPES.deleted; value: { id: string } };

/** The outbox's aggregate type of tasks (the relay routes it to the configured topic). */
export const AGGREGATE_TYPE = 'tasks';

const eventSchema = {
  type: 'object',
  required: ['type', 'value'],
  properties: { type: { type: 'string', enum: Object.values(EVENT_TYPES) } },
  if: { properties: { type: { const: EVENT_TYPES.deleted } } },
  then: {
    properties: {
      value: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: UUID_PATTERN } } },
    },
  },
  else: { properties: { value: taskSchema } },
} as const;

/** Encodes (validating) and decodes task events; an unknown type or a malformed task fails to decode. */
export const taskEventCodec = jsonCodec<TaskEvent>(eventSchema, { name: 'tasks.Event' });
