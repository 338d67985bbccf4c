import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { FtsTaskIndex, matchExpression } from '../../../services/tasks/search/fts.ts';
import { OpenSearchTaskIndex } from '../../../services/tasks/search/opensearch.ts';
import type { TaskIndex } from '../../../services/tasks/search/task-index.ts';
import type { Task } from '../../../services/tasks/task.ts';
import { silent, tempDir } from '../../outbox/harness.ts';
import { openSearchLocal } from '../../support/opensearch.ts';

interface IndexUnderTest {
  index: TaskIndex;
  /** Whether words match their other forms (OpenSearch's minimal distribution has no stemmer). */
  stems: boolean;
  /** Makes writes searchable (OpenSearch refreshes on its own every 200 ms; tests do not wait for it). */
  settle(): Promise<void>;
}

type Factory = (t: TestContext) => Promise<IndexUnderTest | undefined>;

const fts: Factory = async (t) => {
  const index = new FtsTaskIndex({ file: path.join(tempDir(t), 'search.db'), logger: silent });
  await index.start();
  t.after(() => index.stop());
  return { index, stems: true, settle: async () => {} };
};

const openSearch: Factory = async (t) => {
  const local = await openSearchLocal(t);
  if (!local) return undefined;
  const index = new OpenSearchTaskIndex({ url: local.url, index: local.index, logger: silent });
  await index.start();
  await index.start(); // idempotent
  return {
    index,
    stems: false,
    settle: async () => {
      await fetch(`${local.url}/${local.index}/_refresh`, { method: 'POST' });
    },
  };
};

let seq = 0;
function task(description: string, over: Partial<Task> = {}): Task {
  seq++;
  const id = `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`;
  return { id, description, priority: 'none', dates: { start: null, due: '2026-05-01T00:00:00.000Z' }, is_done: false, ...over };
}

function searchSuite(name: string, factory: Factory) {
  describe(`task index on ${name}`, { timeout: 60_000 }, () => {
    it('finds tasks by words (any order; stemmed on FTS5), priority and done, all filters at once', async (t) => {
      const under = await factory(t);
      if (!under) return;
      const { index, settle } = under;
      const report = task('Write the quarterly reports', { priority: 'high' });
      const call = task('Call the plumber about the report', { priority: 'low', is_done: true });
      const other = task('Buy milk', { priority: 'high' });
      for (const x of [report, call, other]) assert.equal(await index.put(x, 1), true);
      await settle();
      const ids = async (q: object) =>
        (await index.search({ from: 0, size: 10, ...q })).tasks.map((x) => x.description).sort();
      assert.deepEqual(await ids({ description: 'the' }), [call.description, report.description]);
      assert.deepEqual(await ids({ description: 'reports quarterly' }), [report.description]);
      if (under.stems) assert.deepEqual(await ids({ description: 'report' }), [call.description, report.description]);
      assert.deepEqual(await ids({ priority: 'high' }), [other.description, report.description]);
      assert.deepEqual(await ids({ is_done: true }), [call.description]);
      assert.deepEqual(await ids({ description: 'the', is_done: false, priority: 'high' }), [report.description]);
      assert.deepEqual(await ids({ description: 'nothing like it' }), []);
      const found = await index.search({ description: 'milk', from: 0, size: 10 });
      assert.deepEqual(found, { tasks: [other], total: 1 });
    });

    it('pages through results in a stable order with the total', async (t) => {
      const under = await factory(t);
      if (!under) return;
      const tasks = Array.from({ length: 7 }, (_, i) => task(`errand number ${i}`));
      for (const x of tasks) await under.index.put(x, 1);
      await under.settle();
      const page1 = await under.index.search({ from: 0, size: 3 });
      const page3 = await under.index.search({ from: 6, size: 3 });
      assert.equal(page1.total, 7);
      assert.deepEqual(page1.tasks, tasks.slice(0, 3));
      assert.deepEqual(page3.tasks, tasks.slice(6));
    });

    it('applies only newer versions: stale and replayed writes change nothing', async (t) => {
      const under = await factory(t);
      if (!under) return;
      const { index, settle } = under;
      const v1 = task('first draft');
      const v2 = { ...v1, description: 'final version' };
      assert.equal(await index.put(v2, 2), true);
      assert.equal(await index.put(v1, 1), false, 'older');
      assert.equal(await index.put(v2, 2), false, 'same version again');
      await settle();
      assert.deepEqual((await index.search({ description: 'final', from: 0, size: 5 })).tasks, [v2]);
      assert.equal((await index.search({ description: 'draft', from: 0, size: 5 })).total, 0);
    });

    it('keeps a deleted task deleted, even when its older updates are replayed', async (t) => {
      const under = await factory(t);
      if (!under) return;
      const { index, settle } = under;
      const x = task('temporary note');
      await index.put(x, 1);
      assert.equal(await index.remove(x.id, 3), true);
      assert.equal(await index.put({ ...x, description: 'temporary note again' }, 2), false);
      assert.equal(await index.remove(x.id, 3), false);
      const early = task('deleted before it was ever indexed');
      assert.equal(await index.remove(early.id, 2), true);
      assert.equal(await index.put(early, 1), false);
      await settle();
      assert.equal((await index.search({ description: 'temporary', from: 0, size: 5 })).total, 0);
      assert.equal((await index.search({ description: 'deleted', from: 0, size: 5 })).total, 0);
      assert.equal((await index.search({ from: 0, size: 5 })).total, 0);
    });

    it('treats query syntax in the text as plain words', async (t) => {
      const under = await factory(t);
      if (!under) return;
      await under.index.put(task('fix the "OR" bug*'), 1);
      await under.settle();
      for (const text of ['"OR" bug*', 'NEAR(fix bug)', 'fix -bug', 'description:fix', '{}[]()^~']) {
        const result = await under.index.search({ description: text, from: 0, size: 5 });
        assert.ok(result.total >= 0, text);
      }
      assert.equal((await under.index.search({ description: 'fix bug', from: 0, size: 5 })).total, 1);
    });
  });
}

searchSuite('SQLite FTS5', fts);
searchSuite('OpenSearch', openSearch);

describe('FTS5 match expressions', () => {
  it('quote every word and drop operators', () => {
    assert.equal(matchExpression('fix "the" bug*'), '"fix" "the" "bug"');
    assert.equal(matchExpression('  '), undefined);
    assert.equal(matchExpression(undefined), undefined);
    assert.equal(matchExpression('café 2026'), '"café" "2026"');
  });
});
