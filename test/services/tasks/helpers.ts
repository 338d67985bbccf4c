import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import { tasksService } from '../../../services/tasks/index.ts';
import { bootHerald, request } from '../../support/boot.ts';

/**
 * Herald with only the tasks service on a free port and a fresh data dir, its topic and group named at random (so
 * tests sharing a Kafka cluster never see each other's events). `flags` pick the broker, database and index.
 */
export async function bootTasks(t: TestContext, flags: Record<string, string> = {}) {
  const topic = `tasks-${randomBytes(4).toString('hex')}`;
  const running = await bootHerald(
    t,
    { 'tasks.topic': topic, 'tasks.group': `${topic}-indexer`, 'tasks.outbox.fallbackPollMs': '60000', ...flags },
    [tasksService],
  );
  return { ...running, topic };
}

/** `POST /tasks` that must succeed; resolves with the task. */
export async function createTask(url: string, body: object) {
  const response = await request(`${url}/tasks`, 'POST', body);
  if (response.status !== 201) throw new Error(`POST /tasks answered ${response.status}: ${JSON.stringify(response.body)}`);
  return response.body.task as { id: string; description: string };
}

export async function search(url: string, body: object) {
  const response = await request(`${url}/tasks/search`, 'POST', body);
  if (response.status !== 200) throw new Error(`search answered ${response.status}: ${JSON.stringify(response.body)}`);
  return response.body as { tasks: { id: string; description: string; is_done: boolean }[]; total: number };
}
