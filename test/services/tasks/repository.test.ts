import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { EVENT_TYPES } from '../../../services/tasks/events.ts';
import { PostgresTaskRepository } from '../../../services/tasks/store/postgres.ts';
import type { TaskRepository } from '../../../services/tasks/store/repository.ts';
import { SqliteTaskRepository } from '../../../services/tasks/store/sqlite.ts';
import type { TaskInput } from '../../../services/tasks/task.ts';
import { OUTBOX_HEADERS } from '../../../src/outbox/index.ts';
import { silent, tempDir } from '../../outbox/harness.ts';
import { postgresLocal } from '../../support/postgres.ts';

type Factory = (t: TestContext) => Promise<TaskRepository | undefined>;

const sqlite: Factory = async (t) => {
  const repo = new SqliteTaskRepository({ file: path.join(tempDir(t), 'tasks.db'), logger: silent });
  await repo.start();
  t.after(() => repo.stop());
  return repo;
};

const postgres: Factory = async (t) => {
  const url = await postgresLocal(t);
  if (!url) return undefined;
  const repo = new PostgresTaskRepository({ url, logger: silent });
  await repo.start();
  t.after(() => repo.stop());
  return repo;
};

const input = (over: Partial<TaskInput> = {}): TaskInput => ({
  description: 'write the report',
  priority: 'high',
  dates: { start: '2026-01-02T03:04:05.000Z', due: '2026-01-09T00:00:00.000Z' },
  is_done: false,
  ...over,
});

/**
 * The events in the repository's outbox, in publishing order. Waits while rows are held back: on PostgreSQL a
 * transaction of another test (any database of the cluster) may be open for a moment.
 */
async function events(repo: TaskRepository) {
  const reader = await repo.outbox.openRelay(() => {}, new AbortController().signal);
  try {
    let batch = await reader.fetch(1000);
    for (const deadline = Date.now() + 10_000; batch.heldBack && Date.now() < deadline; ) {
      await sleep(10);
      batch = await reader.fetch(1000);
    }
    const { rows } = batch;
    return rows.map((r) => ({
      key: r.aggregateId,
      type: r.type,
      version: Number(r.headers[OUTBOX_HEADERS.aggregateVersion]),
      value: JSON.parse(r.payload!.toString()) as { type: string; value: unknown },
      correlation: r.headers['herald.correlation-id'],
    }));
  } finally {
    await reader.close();
  }
}

function repositorySuite(name: string, factory: Factory) {
  describe(`tasks repository on ${name}`, { timeout: 60_000 }, () => {
    it('creates, reads, replaces and deletes a task, each with its event and version', async (t) => {
      const repo = await factory(t);
      if (!repo) return;
      const created = await repo.create(input(), { 'herald.correlation-id': 'req-1' });
      assert.match(created.task.id, /^[0-9a-f-]{36}$/);
      assert.equal(created.version, 1);
      assert.deepEqual(await repo.find(created.task.id), created);
      const updated = await repo.update(created.task.id, input({ description: 'send it', is_done: true, dates: { start: null, due: null } }));
      assert.deepEqual(updated, {
        task: { id: created.task.id, description: 'send it', priority: 'high', dates: { start: null, due: null }, is_done: true },
        version: 2,
      });
      assert.equal(await repo.delete(created.task.id), true);
      assert.equal(await repo.find(created.task.id), undefined);
      const seen = await events(repo);
      assert.deepEqual(
        seen.map((e) => [e.key, e.type, e.version]),
        [
          [created.task.id, EVENT_TYPES.created, 1],
          [created.task.id, EVENT_TYPES.updated, 2],
          [created.task.id, EVENT_TYPES.deleted, 3],
        ],
      );
      assert.deepEqual(seen[0].value, { type: EVENT_TYPES.created, value: created.task });
      assert.deepEqual(seen[2].value, { type: EVENT_TYPES.deleted, value: { id: created.task.id } });
      assert.equal(seen[0].correlation, 'req-1');
    });

    it('answers "none" for a missing task and writes no event for it', async (t) => {
      const repo = await factory(t);
      if (!repo) return;
      const missing = '00000000-0000-4000-8000-000000000000';
      assert.equal(await repo.find(missing), undefined);
      assert.equal(await repo.update(missing, input()), undefined);
      assert.equal(await repo.delete(missing), false);
      assert.deepEqual(await events(repo), []);
    });

    it('numbers concurrent updates of one task 1..n, each event with its own version', async (t) => {
      const repo = await factory(t);
      if (!repo) return;
      const { task } = await repo.create(input());
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => repo.update(task.id, input({ description: `v${i}` }))),
      );
      assert.deepEqual(
        results.map((r) => r!.version).sort((a, b) => a - b),
        Array.from({ length: 20 }, (_, i) => i + 2),
      );
      const versions = (await events(repo)).map((e) => e.version);
      assert.deepEqual(
        versions,
        Array.from({ length: 21 }, (_, i) => i + 1),
        'published in version order',
      );
    });

    it('keeps unicode text and both dates unset', async (t) => {
      const repo = await factory(t);
      if (!repo) return;
      const { task } = await repo.create(input({ description: 'café — 日本語 ✓', priority: 'none', dates: { start: null, due: null } }));
      assert.deepEqual((await repo.find(task.id))?.task, task);
      assert.equal(task.description, 'café — 日本語 ✓');
    });
  });
}

repositorySuite('SQLite', sqlite);
repositorySuite('PostgreSQL', postgres);
