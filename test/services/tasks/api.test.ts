import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OUTBOX_HEADERS } from '../../../src/outbox/index.ts';
import { readTopic, waitFor } from '../../outbox/harness.ts';
import { request } from '../../support/boot.ts';
import { bootTasks, createTask, search } from './helpers.ts';

describe('tasks API (SQLite, FTS5, embedded broker)', { timeout: 60_000 }, () => {
  it('creates, reads, replaces, searches and deletes a task', async (t) => {
    const { url } = await bootTasks(t);
    const created = await request(`${url}/tasks`, 'POST', {
      description: 'Write the quarterly report',
      priority: 'high',
      dates: { start: '2026-01-02T09:00:00Z', due: '2026-01-09T17:00:00+01:00' },
    });
    assert.equal(created.status, 201);
    const task = created.body.task;
    assert.deepEqual(task, {
      id: task.id,
      description: 'Write the quarterly report',
      priority: 'high',
      dates: { start: '2026-01-02T09:00:00.000Z', due: '2026-01-09T16:00:00.000Z' },
      is_done: false,
    });
    assert.deepEqual((await request(`${url}/tasks/${task.id}`)).body, { task });
    const replaced = await request(`${url}/tasks/${task.id}`, 'PUT', { description: 'Send the quarterly report', is_done: true });
    assert.equal(replaced.status, 200);
    assert.deepEqual(replaced.body.task, { ...task, description: 'Send the quarterly report', priority: 'none', dates: { start: null, due: null }, is_done: true });
    await waitFor('the update indexed', async () => (await search(url, { description: 'send' })).total === 1);
    assert.deepEqual((await search(url, { description: 'reports', is_done: true })).tasks, [replaced.body.task]);
    assert.equal((await search(url, { description: 'write' })).total, 0);
    assert.deepEqual(await request(`${url}/tasks/${task.id}`, 'DELETE'), { status: 200, body: {} });
    assert.equal((await request(`${url}/tasks/${task.id}`)).status, 404);
    await waitFor('the delete indexed', async () => (await search(url, { description: 'report' })).total === 0);
  });

  it('publishes each change to the topic, keyed by task id, with event id and version headers', async (t) => {
    const { url, broker, topic } = await bootTasks(t);
    const task = await createTask(url, { description: 'a' });
    await request(`${url}/tasks/${task.id}`, 'PUT', { description: 'b' });
    await request(`${url}/tasks/${task.id}`, 'DELETE');
    await waitFor('three events', async () => (await readTopic(broker, topic)).length === 3);
    const records = await readTopic(broker, topic);
    assert.ok(records.every((r) => r.key?.toString() === task.id));
    assert.deepEqual(
      records.map((r) => [JSON.parse(r.value!.toString()).type, r.headers[OUTBOX_HEADERS.aggregateVersion]]),
      [
        ['tasks.event.created', '1'],
        ['tasks.event.updated', '2'],
        ['tasks.event.deleted', '3'],
      ],
    );
    assert.deepEqual(JSON.parse(records[2].value!.toString()), { type: 'tasks.event.deleted', value: { id: task.id } });
    assert.equal(new Set(records.map((r) => r.headers[OUTBOX_HEADERS.eventId])).size, 3);
    assert.ok(records.every((r) => r.headers['herald.correlation-id']));
  });

  it('pages search results and filters by priority and done', async (t) => {
    const { url } = await bootTasks(t);
    for (let i = 0; i < 5; i++) await createTask(url, { description: `errand ${i}`, priority: i % 2 ? 'low' : 'high' });
    await waitFor('all indexed', async () => (await search(url, {})).total === 5);
    const page = await search(url, { from: 2, size: 2 });
    assert.equal(page.total, 5);
    assert.equal(page.tasks.length, 2);
    assert.equal((await search(url, { priority: 'low' })).total, 2);
    assert.equal((await search(url, { description: 'errand', priority: 'high', is_done: false })).total, 3);
    assert.equal((await search(url, { description: null, priority: null, is_done: null })).total, 5);
  });

  it('answers bad input with 400 and {"error"}, unknown tasks with 404, never a 500', async (t) => {
    const { url } = await bootTasks(t);
    const id = '00000000-0000-4000-8000-000000000000';
    const cases: [string, string, unknown, number, RegExp][] = [
      ['POST', '/tasks', {}, 400, /description/],
      ['POST', '/tasks', { description: '' }, 400, /description/],
      ['POST', '/tasks', { description: '   ' }, 400, /blank/],
      ['POST', '/tasks', { description: 'x', priority: 'urgent' }, 400, /priority/],
      ['POST', '/tasks', { description: 'x', dates: { due: 'tomorrow' } }, 400, /dates.due .*RFC 3339/],
      ['POST', '/tasks', { description: 'x', dates: { start: '2026-02-01T00:00:00Z', due: '2026-01-01T00:00:00Z' } }, 400, /before/],
      ['POST', '/tasks', { description: 'x', dates: { due: '2026-13-45T99:00:00Z' } }, 400, /RFC 3339/],
      ['POST', '/tasks', { description: 'x', extra: 1 }, 400, /extra/],
      ['POST', '/tasks', { description: 7 }, 400, /description/],
      ['POST', '/tasks', [1, 2], 400, /.+/],
      ['GET', '/tasks/not-a-uuid', undefined, 400, /UUID/],
      ['GET', `/tasks/${id}`, undefined, 404, /not found/],
      ['PUT', `/tasks/${id}`, { description: 'x' }, 404, /not found/],
      ['PUT', `/tasks/${id}`, { description: 'x', is_done: 'yes' }, 400, /is_done/],
      ['DELETE', `/tasks/${id}`, undefined, 404, /not found/],
      ['POST', '/tasks/search', { size: 0 }, 400, /size/],
      ['POST', '/tasks/search', { size: 1000 }, 400, /size/],
      ['POST', '/tasks/search', { from: -1 }, 400, /from/],
      ['POST', '/tasks/search', { priority: 'x' }, 400, /priority/],
    ];
    for (const [method, path, body, status, message] of cases) {
      const response = await request(`${url}${path}`, method, body);
      assert.equal(response.status, status, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(response.body)}`);
      assert.deepEqual(Object.keys(response.body), ['error']);
      assert.match(response.body.error, message);
    }
    const raw = await fetch(`${url}/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{bad' });
    assert.equal(raw.status, 400);
    assert.match(((await raw.json()) as { error: string }).error, /JSON/);
  });
});
