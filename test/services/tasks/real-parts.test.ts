import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { waitFor } from '../../outbox/harness.ts';
import { request } from '../../support/boot.ts';
import { kafkaSingle } from '../../support/kafka.ts';
import { openSearchLocal } from '../../support/opensearch.ts';
import { postgresLocal } from '../../support/postgres.ts';
import { bootTasks, createTask, search } from './helpers.ts';

/** Creates, updates and deletes tasks concurrently, then checks the index converged on the database's state. */
async function scenario(t: TestContext, flags: Record<string, string>) {
  const { url } = await bootTasks(t, flags);
  const tasks = await Promise.all(Array.from({ length: 30 }, (_, i) => createTask(url, { description: `chore ${i}` })));
  await Promise.all(
    tasks.map(async (task, i) => {
      for (let v = 0; v < 3; v++) await request(`${url}/tasks/${task.id}`, 'PUT', { description: `chore ${i} rev ${v}`, is_done: v === 2 });
      if (i % 3 === 0) await request(`${url}/tasks/${task.id}`, 'DELETE');
    }),
  );
  await waitFor('the index to converge', async () => (await search(url, { description: 'rev 2', size: 100 })).total === 20, 60_000);
  const found = await search(url, { is_done: true, size: 100 });
  assert.equal(found.total, 20);
  assert.ok(found.tasks.every((x) => /rev 2$/.test(x.description)));
  assert.equal((await request(`${url}/tasks/${tasks[0].id}`)).status, 404);
}

describe('tasks on real parts', { timeout: 120_000 }, () => {
  it('runs on PostgreSQL, OpenSearch and Kafka', async (t) => {
    const servers = await kafkaSingle(t);
    if (!servers) return;
    const database = await postgresLocal(t);
    if (!database) return;
    const index = await openSearchLocal(t);
    if (!index) return;
    await scenario(t, {
      'broker.url': `kafka://${servers.join(',')}`,
      'tasks.database.url': database,
      'tasks.search.url': index.url,
      'tasks.search.index': index.index,
    });
  });

  it('runs on PostgreSQL with the embedded broker and index', async (t) => {
    const database = await postgresLocal(t);
    if (!database) return;
    await scenario(t, { 'tasks.database.url': database });
  });
});
