/**
 * The task model (the original to-do service's shapes): a task as the API answers it and as events carry it, the
 * request bodies, and their checks.
 */
import { HeraldError } from '#herald';

export const PRIORITIES = ['none', 'low', 'medium', 'high'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** When a task should start and be done: RFC 3339 date-times in UTC, or null. */
export interface Dates {
  start: string | null;
  due: string | null;
}

/** A task, as `GET /tasks/{id}` answers it and `created`/`updated` events carry it. */
export interface Task {
  id: string;
  description: string;
  priority: Priority;
  dates: Dates;
  is_done: boolean;
}

/** A stored task: the task and its version (1 when created, +1 per update and for the delete). */
export interface VersionedTask {
  task: Task;
  version: number;
}

/** What `POST /tasks` and `PUT /tasks/{id}` set (`PUT` replaces the whole task). */
export interface TaskInput {
  description: string;
  priority: Priority;
  dates: Dates;
  is_done: boolean;
}

export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
const UUID = new RegExp(UUID_PATTERN);

/** RFC 3339 date-time: date, `T` (or space), time with optional fraction, and `Z` or an offset. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Longest description accepted, in characters. */
export const MAX_DESCRIPTION = 10_000;

const dateSchema = { type: ['string', 'null'], maxLength: 64 } as const;

export const datesSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { start: dateSchema, due: dateSchema },
} as const;

/** `POST /tasks` body (the original's CreateTasksRequest). */
export const createBodySchema = {
  type: 'object',
  required: ['description'],
  additionalProperties: false,
  properties: {
    description: { type: 'string', minLength: 1, maxLength: MAX_DESCRIPTION },
    priority: { type: 'string', enum: PRIORITIES },
    dates: datesSchema,
  },
} as const;

/** `PUT /tasks/{id}` body (the original's UpdateTasksRequest): the whole task but its id. */
export const updateBodySchema = {
  ...createBodySchema,
  properties: { ...createBodySchema.properties, is_done: { type: 'boolean' } },
} as const;

/** A task as events carry it (checked again by the indexer). */
export const taskSchema = {
  type: 'object',
  required: ['id', 'description', 'priority', 'dates', 'is_done'],
  properties: {
    id: { type: 'string', pattern: UUID_PATTERN },
    description: { type: 'string' },
    priority: { type: 'string', enum: PRIORITIES },
    dates: { ...datesSchema, required: ['start', 'due'] },
    is_done: { type: 'boolean' },
  },
} as const;

/** Whether `id` is a task id (a UUID). */
export function isTaskId(id: string): boolean {
  return UUID.test(id);
}

/**
 * Normalises a date-time to RFC 3339 in UTC (`2026-01-02T03:04:05.000Z`).
 * @throws HeraldError `HERALD_VALIDATION_FAILED` naming `field` when it is not an RFC 3339 date-time.
 */
export function normaliseDate(value: string | null | undefined, field: string): string | null {
  if (value === null || value === undefined) return null;
  const ms = RFC3339.test(value) ? Date.parse(value.replace(' ', 'T')) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new HeraldError('HERALD_VALIDATION_FAILED', `${field} must be an RFC 3339 date-time, e.g. 2026-01-02T15:04:05Z`, {
      details: [{ field, message: 'must be an RFC 3339 date-time' }],
    });
  }
  return new Date(ms).toISOString();
}

/** A request body (already schema-checked) as a complete {@link TaskInput}: defaults filled, dates normalised. */
export function toInput(body: { description: string; priority?: Priority; dates?: Partial<Dates>; is_done?: boolean }) {
  const dates: Dates = {
    start: normaliseDate(body.dates?.start, 'dates.start'),
    due: normaliseDate(body.dates?.due, 'dates.due'),
  };
  if (dates.start !== null && dates.due !== null && dates.due < dates.start) {
    throw new HeraldError('HERALD_VALIDATION_FAILED', 'dates.due must not be before dates.start', {
      details: [{ field: 'dates.due', message: 'must not be before dates.start' }],
    });
  }
  if (body.description.trim() === '') {
    throw new HeraldError('HERALD_VALIDATION_FAILED', 'description must not be blank', {
      details: [{ field: 'description', message: 'must not be blank' }],
    });
  }
  const input: TaskInput = {
    description: body.description,
    priority: body.priority ?? 'none',
    dates,
    is_done: body.is_done ?? false,
  };
  return input;
}
