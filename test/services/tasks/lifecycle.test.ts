import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { waitFor } from '../../outbox/harness.ts';
import { startHerald } from '../../support/herald-process.ts';
import { search } from './helpers.ts';

const HERALD = 'bin/herald.ts';

/** Creates tasks from `writers` concurrent clients until `stop` is set; resolves with the ids answered 201. */
function load(url: string, writers: number) {
  const acknowledged: string[] = [];
  let stopped = false;
  const done = Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let n = 0; !stopped; n++) {
        try {
          const response = await fetch(`${url}/tasks`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ description: `load task ${w} ${n}` }),
          });
          if (response.status === 201) acknowledged.push(((await response.json()) as { task: { id: string } }).task.id);
          else return;
        } catch {
          return; // the server went away
        }
      }
    }),
  );
  return { acknowledged, stop: () => (stopped = true), done };
}

async function indexedIds(url: string): Promise<Set<string>> {
  const ids = new Set<string>();
  for (let from = 0; ; from += 100) {
    const page = await search(url, { from, size: 100 });
    for (const task of page.tasks) ids.add(task.id);
    if (page.tasks.length < 100 || from > 9_000) return ids;
  }
}

async function stopAndRestart(t: TestContext, signal: NodeJS.Signals) {
  const dataDir = mkdtempSync(join(tmpdir(), 'herald-tasks-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const first = await startHerald(t, HERALD, ['tasks', '--data-dir', dataDir]);
  const traffic = load(first.url, 8);
  await waitFor('some tasks', () => traffic.acknowledged.length >= 150);
  first.child.kill(signal);
  const exit = await first.exit;
  traffic.stop();
  await traffic.done;
  const acknowledged = [...traffic.acknowledged];
  const second = await startHerald(t, HERALD, ['tasks', '--data-dir', dataDir]);
  await waitFor(
    'every acknowledged task indexed',
    async () => {
      const ids = await indexedIds(second.url);
      return acknowledged.every((id) => ids.has(id));
    },
    60_000,
  );
  second.child.kill('SIGTERM');
  assert.equal((await second.exit).code, 0);
  return { exit, acknowledged };
}

describe('tasks service across stops', { timeout: 120_000 }, () => {
  it('stops gracefully on SIGTERM under load; nothing acknowledged is lost after a restart', async (t) => {
    const { exit, acknowledged } = await stopAndRestart(t, 'SIGTERM');
    assert.equal(exit.code, 0, exit.stderr);
    assert.ok(acknowledged.length >= 150);
  });

  it('stops gracefully on SIGQUIT too', async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'herald-tasks-'));
    t.after(() => rmSync(dataDir, { recursive: true, force: true }));
    const herald = await startHerald(t, HERALD, ['tasks', '--data-dir', dataDir]);
    herald.child.kill('SIGQUIT');
    assert.equal((await herald.exit).code, 0);
  });

  it('loses nothing acknowledged when the process is SIGKILLed under load', async (t) => {
    const { exit, acknowledged } = await stopAndRestart(t, 'SIGKILL');
    assert.equal(exit.signal, 'SIGKILL');
    assert.ok(acknowledged.length >= 150);
  });
});
