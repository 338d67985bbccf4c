/**
 * The REST API, in the original service's shapes:
 *
 * - `POST /tasks` `{description, priority?, dates?: {start?, due?}}` → 201 `{"task": {…}}`
 * - `GET /tasks/{id}` → 200 `{"task": {…}}`
 * - `PUT /tasks/{id}` `{description, priority?, dates?, is_done?}` (replaces the task) → 200 `{"task": {…}}`
 * - `DELETE /tasks/{id}` → 200 `{}`
 * - `POST /tasks/search` `{description?, priority?, is_done?, from?, size?}` → 200 `{"tasks": […], "total": n}`
 *
 * Errors are `{"error": "…"}`: 400 for bad input (every problem named), 404 for an unknown task, 503 when the
 * database or index is unavailable, 500 for anything unexpected — never a 500 for bad input. Changes answer only
 * once the task and its event are durably committed together.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Headers } from '#herald/broker';
import { HeraldError } from '#herald';
import { statusOf, toHeraldError } from '#herald';
import { HEADERS } from '#herald/runtime';
import type { TaskIndex, TaskQuery } from './search/task-index.ts';
import type { TaskRepository } from './store/repository.ts';
import { createBodySchema, isTaskId, PRIORITIES, type Priority, toInput, updateBodySchema } from './task.ts';

/** Most results of one search page. */
export const MAX_PAGE_SIZE = 100;

const searchBodySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    description: { type: ['string', 'null'], maxLength: 1_000 },
    priority: { anyOf: [{ type: 'string', enum: PRIORITIES }, { type: 'null' }] },
    is_done: { type: ['boolean', 'null'] },
    from: { type: 'integer', minimum: 0, maximum: 10_000 },
    size: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE },
  },
} as const;

interface SearchBody {
  description?: string | null;
  priority?: Priority | null;
  is_done?: boolean | null;
  from?: number;
  size?: number;
}

type TaskBody = { description: string; priority?: Priority; dates?: { start?: string | null; due?: string | null }; is_done?: boolean };

export interface TasksApiOptions {
  repository: TaskRepository;
  index: TaskIndex;
}

/** Registers the routes in a scope of their own, whose errors answer `{"error": "…"}`. */
export function registerTasksApi(app: FastifyInstance, options: TasksApiOptions): void {
  const { repository, index } = options;
  void app.register(async (scope) => {
    scope.setErrorHandler(sendTaskError);
    scope.post<{ Body: TaskBody }>('/tasks', { schema: { body: createBodySchema } }, async (request, reply) => {
      const created = await repository.create(toInput(request.body), eventHeaders(request));
      return reply.status(201).send({ task: created.task });
    });
    scope.get<{ Params: { id: string } }>('/tasks/:id', async (request) => {
      const found = await repository.find(taskId(request.params.id));
      if (!found) throw notFound(request.params.id);
      return { task: found.task };
    });
    scope.put<{ Params: { id: string }; Body: TaskBody }>(
      '/tasks/:id',
      { schema: { body: updateBodySchema } },
      async (request) => {
        const id = taskId(request.params.id);
        const updated = await repository.update(id, toInput(request.body), eventHeaders(request));
        if (!updated) throw notFound(id);
        return { task: updated.task };
      },
    );
    scope.delete<{ Params: { id: string } }>('/tasks/:id', async (request) => {
      const id = taskId(request.params.id);
      if (!(await repository.delete(id, eventHeaders(request)))) throw notFound(id);
      return {};
    });
    scope.post<{ Body: SearchBody | undefined }>('/tasks/search', { schema: { body: searchBodySchema } }, async (request) => {
      const body = request.body ?? {};
      const query: TaskQuery = { from: body.from ?? 0, size: body.size ?? 10 };
      if (typeof body.description === 'string') query.description = body.description;
      if (typeof body.priority === 'string') query.priority = body.priority;
      if (typeof body.is_done === 'boolean') query.is_done = body.is_done;
      return index.search(query);
    });
  });
}

/** The request's correlation id rides on the event, so the indexer's logs name the request that caused it. */
function eventHeaders(request: FastifyRequest): Headers {
  return { [HEADERS.correlationId]: request.id };
}

function taskId(id: string): string {
  if (!isTaskId(id)) {
    throw new HeraldError('HERALD_VALIDATION_FAILED', 'id must be a UUID', { details: [{ field: 'id', message: 'must be a UUID' }] });
  }
  return id.toLowerCase();
}

function notFound(id: string): HeraldError {
  return new HeraldError('HERALD_NOT_FOUND', `task ${id} not found`);
}

/**
 * `{"error": "…"}` with the status Herald's code maps to. Validation problems are listed field by field; server
 * errors are logged with their cause and answered without internals.
 */
export function sendTaskError(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const herald = toHeraldError(err);
  const status = statusOf(herald.code);
  if (status >= 500) request.log.error({ err: herald.cause ?? herald, code: herald.code }, herald.message);
  let message = herald.message;
  const details = Array.isArray(herald.details) ? (herald.details as { field: string; message: string }[]) : [];
  if (herald.code === 'HERALD_VALIDATION_FAILED' && details.length > 0) {
    message = details.map((d) => (d.field ? `${d.field} ${d.message}` : d.message)).join('; ');
  } else if (status === 500) {
    message = 'internal error';
  } else if (status === 503) {
    message = `service unavailable: ${herald.message}`;
  }
  return reply.status(status).send({ error: message });
}
