/** A data directory remembers it was initialised: lost or damaged storage is refused with a coded error naming it. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createEmbeddedBroker } from '../../../src/broker/embedded/index.ts';
import { INITIALISED_FILE } from '../../../src/broker/embedded/data-dir.ts';
import { describeFsError } from '../../../src/broker/embedded/lock.ts';
import { DB_FILE } from '../../../src/broker/embedded/store.ts';
import { HeraldError } from '../../../src/errors.ts';
import { tempDir } from './helpers.ts';

async function startStop(dataDir: string, acceptEmptyStorage = false): Promise<string[]> {
  const broker = createEmbeddedBroker({ kind: 'embedded', dataDir, acceptEmptyStorage });
  await broker.start();
  try {
    return (await broker.admin.listTopics()).map((t) => t.name);
  } finally {
    await broker.stop();
  }
}

async function withTopic(dataDir: string): Promise<void> {
  const broker = createEmbeddedBroker({ kind: 'embedded', dataDir });
  await broker.start();
  await broker.admin.createTopic({ name: 'kept', partitions: 1 });
  await broker.stop();
}

async function refusal(dataDir: string): Promise<HeraldError> {
  const broker = createEmbeddedBroker({ kind: 'embedded', dataDir });
  const err = await broker.start().then(
    () => assert.fail('started'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof HeraldError, String(err));
  // Refused without leaving the lock behind: the next start is judged on its own.
  assert.ok(!fs.existsSync(path.join(dataDir, 'herald.lock')));
  return err;
}

describe('embedded data directory', () => {
  it('is marked initialised at its first start; a directory from before the marker gets one', async (t) => {
    const dataDir = tempDir(t);
    await withTopic(dataDir);
    const marker = JSON.parse(fs.readFileSync(path.join(dataDir, INITIALISED_FILE), 'utf8'));
    assert.equal(marker.storage, DB_FILE);
    assert.ok(!Number.isNaN(Date.parse(marker.createdAt)));
    fs.rmSync(path.join(dataDir, INITIALISED_FILE));
    assert.deepEqual(await startStop(dataDir), ['kept']);
    assert.ok(fs.existsSync(path.join(dataDir, INITIALISED_FILE)));
  });

  it('refuses an emptied herald.db with HERALD_STORAGE_MISSING naming it, unless told to accept it', async (t) => {
    const dataDir = tempDir(t);
    await withTopic(dataDir);
    fs.truncateSync(path.join(dataDir, DB_FILE), 0);
    const err = await refusal(dataDir);
    assert.equal(err.code, 'HERALD_STORAGE_MISSING');
    assert.ok(err.message.includes(path.join(dataDir, DB_FILE)), err.message);
    assert.match(err.message, /is empty.*acceptEmptyStorage=true/s);
    assert.deepEqual(await startStop(dataDir, true), []);
    // Accepted once, it is this directory's storage from then on.
    assert.deepEqual(await startStop(dataDir), []);
  });

  it('refuses a deleted herald.db', async (t) => {
    const dataDir = tempDir(t);
    await withTopic(dataDir);
    fs.rmSync(path.join(dataDir, DB_FILE));
    const err = await refusal(dataDir);
    assert.equal(err.code, 'HERALD_STORAGE_MISSING');
    assert.match(err.message, /is missing/);
  });

  it('refuses a damaged herald.db with HERALD_STORAGE_CORRUPT naming it', async (t) => {
    const dataDir = tempDir(t);
    await withTopic(dataDir);
    const file = path.join(dataDir, DB_FILE);
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.alloc(100, 0x5a), 0, 100, 0); // the header: no longer a database
    fs.closeSync(fd);
    const err = await refusal(dataDir);
    assert.equal(err.code, 'HERALD_STORAGE_CORRUPT');
    assert.ok(err.message.includes(file), err.message);
    assert.deepEqual(err.details, { file });
  });

  it('says a full disk in words', () => {
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    assert.equal(describeFsError(full), 'the disk is full (ENOSPC)');
    assert.equal(describeFsError(new Error('other')), 'other');
  });
});
