import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it, type TestContext } from 'node:test';
import { createEmbeddedBroker } from '../../../src/broker/embedded/index.ts';
import { LOCK_FILE } from '../../../src/broker/embedded/lock.ts';
import { NODE, openBroker, ROOT, rejectsWithCode, tempDir } from './helpers.ts';

const FIXTURE = path.join(import.meta.dirname, 'fixtures/hold-lock.ts');

/** Starts a process holding `dataDir`; resolves with it once it reports. */
async function holder(
  t: TestContext,
  dataDir: string,
): Promise<{ child: ChildProcess; report: Record<string, unknown> }> {
  const child = spawn(NODE, [FIXTURE, dataDir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return { child, report: JSON.parse(line) };
}

/** A pid that belonged to a process which has exited. */
function deadPid(): number {
  const result = spawnSync(NODE, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(result.stdout);
}

function writeLock(dataDir: string, content: string, ageMs = 0): void {
  const file = path.join(dataDir, LOCK_FILE);
  fs.writeFileSync(file, content);
  const when = new Date(Date.now() - ageMs);
  fs.utimesSync(file, when, when);
}

describe('embedded broker: data directory lock', () => {
  it('refuses a second broker of the same process, naming this pid, until the first stops', async (t) => {
    const dataDir = tempDir(t);
    const first = await openBroker(t, { dataDir });
    const second = createEmbeddedBroker({ kind: 'embedded', dataDir });
    t.after(() => second.stop());
    const err = await rejectsWithCode(() => second.start(), 'HERALD_DATA_DIR_LOCKED');
    assert.match(err.message, new RegExp(`process ${process.pid}\\b`));
    assert.equal((err.details as { pid: number }).pid, process.pid);
    assert.ok(fs.existsSync(path.join(dataDir, LOCK_FILE)), 'the failed start removed the owner lock');

    await first.stop();
    assert.ok(!fs.existsSync(path.join(dataDir, LOCK_FILE)), 'stop did not release the lock');
    await second.start();
    await second.ping();
  });

  it('refuses a broker while another process owns the directory, and takes over once it is killed', async (t) => {
    const dataDir = tempDir(t);
    const { child, report } = await holder(t, dataDir);
    assert.equal(report.ready, true);
    const contender = createEmbeddedBroker({ kind: 'embedded', dataDir });
    t.after(() => contender.stop());
    const err = await rejectsWithCode(() => contender.start(), 'HERALD_DATA_DIR_LOCKED');
    assert.match(err.message, new RegExp(`process ${child.pid}\\b`));

    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
    // The killed owner left its lock file behind: it is stale now.
    assert.ok(fs.existsSync(path.join(dataDir, LOCK_FILE)));
    await contender.start();
    await contender.ping();
  });

  it('makes a second process fail with the owner pid in its error', async (t) => {
    const dataDir = tempDir(t);
    await openBroker(t, { dataDir });
    const { report } = await holder(t, dataDir);
    assert.equal(report.ready, false);
    assert.equal(report.code, 'HERALD_DATA_DIR_LOCKED');
    assert.match(String(report.message), new RegExp(`process ${process.pid}\\b`));
  });

  it('takes over a lock whose pid is dead, or is its own pid from an earlier life', async (t) => {
    for (const pid of [deadPid(), process.pid]) {
      const dataDir = tempDir(t);
      writeLock(dataDir, JSON.stringify({ pid, host: os.hostname(), token: 'old' }));
      const broker = await openBroker(t, { dataDir });
      const owner = JSON.parse(fs.readFileSync(path.join(dataDir, LOCK_FILE), 'utf8'));
      assert.equal(owner.pid, process.pid);
      assert.notEqual(owner.token, 'old');
      await broker.stop();
    }
  });

  it('still refuses a second opener when the lock file was removed by hand (the database stays locked)', async (t) => {
    const dataDir = tempDir(t);
    await openBroker(t, { dataDir });
    fs.rmSync(path.join(dataDir, LOCK_FILE));
    const contender = createEmbeddedBroker({ kind: 'embedded', dataDir });
    t.after(() => contender.stop());
    await rejectsWithCode(() => contender.start(), 'HERALD_DATA_DIR_LOCKED');
  });

  it('takes over a lock written on another host unless the database is really in use', async (t) => {
    const foreign = JSON.stringify({ pid: 4242, host: 'some-other-host', token: 'theirs' });
    const idle = tempDir(t);
    writeLock(idle, foreign);
    await openBroker(t, { dataDir: idle });

    const busy = tempDir(t);
    await openBroker(t, { dataDir: busy });
    writeLock(busy, foreign);
    const contender = createEmbeddedBroker({ kind: 'embedded', dataDir: busy });
    t.after(() => contender.stop());
    const err = await rejectsWithCode(() => contender.start(), 'HERALD_DATA_DIR_LOCKED');
    assert.match(err.message, /process 4242 on some-other-host/);
    assert.equal(fs.readFileSync(path.join(busy, LOCK_FILE), 'utf8'), foreign, 'the lock taken over was not put back');
  });

  it('treats a fresh unreadable lock as held and an old one as stale', async (t) => {
    const dataDir = tempDir(t);
    writeLock(dataDir, '');
    const broker = createEmbeddedBroker({ kind: 'embedded', dataDir });
    t.after(() => broker.stop());
    await rejectsWithCode(() => broker.start(), 'HERALD_DATA_DIR_LOCKED');
    writeLock(dataDir, '{"pi', 60_000);
    await broker.start();
  });
});
