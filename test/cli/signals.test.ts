import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startHerald } from '../support/herald-process.ts';

const SLOW = 'test/fixtures/slow-service.ts';
const dataDir = () => mkdtempSync(join(tmpdir(), 'herald-signal-'));

describe('shutdown on signals', () => {
  it('SIGTERM lets in-flight requests complete, refuses new ones and exits 0', async (t) => {
    const herald = await startHerald(t, SLOW, ['--data-dir', dataDir()]);
    const inFlight = fetch(`${herald.url}/slow?ms=800`).then(async (r) => ({ status: r.status, body: await r.json() }));
    await sleep(200);
    herald.child.kill('SIGTERM');
    const answered = await inFlight;
    assert.deepEqual(answered, { status: 200, body: { done: true } });
    await assert.rejects(fetch(`${herald.url}/healthz`), 'no new connections after the in-flight request');
    const exit = await herald.exit;
    assert.equal(exit.code, 0, exit.stderr);
  });

  it('exits non-zero when in-flight work outlives the shutdown timeout', async (t) => {
    const herald = await startHerald(t, SLOW, ['--data-dir', dataDir(), '--set', 'shutdown.timeoutMs=200']);
    const inFlight = fetch(`${herald.url}/slow?ms=5000`).catch(() => 'abandoned');
    await sleep(200);
    herald.child.kill('SIGINT');
    const exit = await herald.exit;
    assert.equal(exit.code, 1);
    assert.equal(await inFlight, 'abandoned');
  });
});
