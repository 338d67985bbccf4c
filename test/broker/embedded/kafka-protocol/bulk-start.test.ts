import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { BULK_DIR, BulkStore, POINTER_BYTES } from '../../../../src/broker/embedded/bulk-store.ts';
import { createEmbeddedBroker } from '../../../../src/broker/embedded/index.ts';
import { DB_FILE } from '../../../../src/broker/embedded/store.ts';
import { producedTo, segments, stored, values } from './bulk-files.ts';
import { captureLogs, listening } from './helpers.ts';

/** A start of `dataDir` refused with `HERALD_STORAGE_MISSING` naming `file`. */
async function refusedNaming(dataDir: string, file: string): Promise<void> {
  await assert.rejects(createEmbeddedBroker({ kind: 'embedded', dataDir }).start(), (err: Error & { code?: string; details?: { file?: string } }) => {
    assert.equal(err.code, 'HERALD_STORAGE_MISSING');
    assert.equal(err.details?.file, path.join(dataDir, file));
    assert.match(err.message, /acceptEmptyStorage/);
    return true;
  });
}

/** Turns `dataDir` back into schema 4: its large batches in bulk.db, their rows with empty bytes, no bulk files. */
function asSchema4(dataDir: string, logId: number): void {
  const db = new DatabaseSync(path.join(dataDir, DB_FILE));
  const files = new BulkStore(dataDir, false);
  const old = new DatabaseSync(path.join(dataDir, 'bulk.db'));
  try {
    old.exec(`PRAGMA journal_mode = WAL; CREATE TABLE log_${logId} (last INTEGER PRIMARY KEY, b BLOB NOT NULL)`);
    const pointers = db.prepare(`SELECT last, b FROM log_${logId} WHERE length(b) = ${POINTER_BYTES}`).all() as { last: number; b: Uint8Array }[];
    for (const { last, b } of pointers) old.prepare(`INSERT INTO log_${logId} (last, b) VALUES (?, ?)`).run(last, files.read(logId, b));
    db.exec(`UPDATE log_${logId} SET b = x'' WHERE length(b) = ${POINTER_BYTES}; PRAGMA user_version = 4`);
  } finally {
    old.close();
    files.close();
    db.close();
  }
  fs.rmSync(path.join(dataDir, BULK_DIR), { recursive: true });
}

describe('bulk files at start', () => {
  it('deletes batches an OS crash cut off their file, keeping the next offset', async (t) => {
    const { dataDir, topic } = await producedTo(t, [['c0', 80], ['c1', 80], ['c2', 80]]);
    // As an OS crash could leave the file: the newest batch written only in part.
    const [file] = segments(dataDir, 1);
    const length = fs.statSync(file).size / 3;
    fs.truncateSync(file, 2 * length + 1_000);

    const again = await listening(t, { dataDir });
    assert.deepEqual(again.logs.matching('deleted batches whose bytes').map((l) => l.batches), [1]);
    const read = await values(again.broker, topic);
    assert.equal(read.length, 160);
    assert.equal(read[159], '159:c1-79');
    const sent = await again.broker.producer().send([{ topic, value: Buffer.from('after') }]);
    assert.equal(sent[0].offset, 240, 'the next offset stays past what was lost');
    await again.broker.stop();
    assert.deepEqual(stored(dataDir, 1).bulk, [79, 159]);
    assert.equal(fs.statSync(file).size, 2 * length, 'the part of a batch no row names is cut off');
    const db = new DatabaseSync(path.join(dataDir, DB_FILE), { readOnly: true });
    t.after(() => db.close());
    const { bytes } = db.prepare('SELECT bytes FROM logs WHERE id = 1').get() as { bytes: number };
    assert.ok(bytes > 160 * 1_000 && bytes < 200 * 1_000, `the log's size counts what is left: ${bytes}`);
  });

  it('drops the batches of a file removed, with the warning, and the log goes on at its next offset', async (t) => {
    const { dataDir, topic } = await producedTo(t, [['d0', 80], ['d1', 80], ['small', 2]]);
    fs.rmSync(segments(dataDir, 1)[0]);

    const again = await listening(t, { dataDir });
    assert.deepEqual(again.logs.matching('deleted batches whose bytes').map((l) => l.batches), [2]);
    assert.deepEqual(await values(again.broker, topic), ['160:small-0', '161:small-1']);
    assert.equal((await again.broker.producer().send([{ topic, value: Buffer.from('after') }]))[0].offset, 162);
  });

  it('drops the oldest batches when their file went before their rows did (retention, then an OS crash)', async (t) => {
    // A file a batch.
    const { dataDir, topic } = await producedTo(t, [['e0', 80], ['e1', 80], ['e2', 80]], { 'segment.bytes': '100000' });
    const files = segments(dataDir, 1);
    assert.equal(files.length, 3);
    fs.rmSync(files[0]);

    const again = await listening(t, { dataDir });
    assert.deepEqual(again.logs.matching('deleted batches whose bytes').map((l) => l.batches), [1]);
    const read = await values(again.broker, topic);
    assert.deepEqual([read.length, read[0], read.at(-1)], [160, '80:e1-0', '239:e2-79']);
    await again.broker.stop();
    assert.deepEqual(stored(dataDir, 1).bulk, [159, 239]);
  });

  it('refuses a lost bulk directory by name; with acceptEmptyStorage starts without its batches and says so', async (t) => {
    const { dataDir, topic } = await producedTo(t, [['big', 80], ['small', 2]]);
    fs.rmSync(path.join(dataDir, BULK_DIR), { recursive: true });

    await refusedNaming(dataDir, BULK_DIR);
    const { logger, logs } = captureLogs();
    const accepting = createEmbeddedBroker({ kind: 'embedded', dataDir, acceptEmptyStorage: true }, logger);
    t.after(() => accepting.stop());
    await accepting.start();
    assert.equal(logs.matching('as broker.acceptEmptyStorage allows').length, 1);
    assert.deepEqual(logs.matching('deleted batches whose bytes').map((l) => l.batches), [1]);
    assert.deepEqual(await values(accepting, topic), ['80:small-0', '81:small-1']);
  });
});

describe('bulk files: a data directory of schema 4', () => {
  const written = [['a', 80], ['s', 2], ['b', 80]] as [string, number][];

  it("moves bulk.db's batches into files at the first start, after a move cut short", async (t) => {
    const { dataDir, topic, expected } = await producedTo(t, written);
    const [segment] = segments(dataDir, 1);
    const cutShort = fs.readFileSync(segment).subarray(0, 50_000);
    asSchema4(dataDir, 1);
    fs.mkdirSync(path.join(dataDir, BULK_DIR, '1'), { recursive: true });
    fs.writeFileSync(segment, cutShort);

    const again = await listening(t, { dataDir });
    assert.deepEqual(await values(again.broker, topic), expected);
    await again.broker.stop();
    const { rows, bulk } = stored(dataDir, 1);
    assert.deepEqual(bulk, [79, 161]);
    assert.deepEqual([rows[0][1], rows[2][1]], [POINTER_BYTES, POINTER_BYTES], 'the rows point at the files');
    assert.ok(rows[1][1] > POINTER_BYTES, 'the small batch stays in its row');
    assert.deepEqual(
      fs.readdirSync(dataDir).filter((name) => name.startsWith('bulk')),
      [BULK_DIR],
      'bulk.db and its log are gone',
    );
    const migrated = new DatabaseSync(path.join(dataDir, DB_FILE), { readOnly: true });
    t.after(() => migrated.close());
    assert.equal((migrated.prepare('PRAGMA user_version').get() as { user_version: number }).user_version, 5);
  });

  it('without bulk.db, starts only with acceptEmptyStorage, and without the batches it held', async (t) => {
    const { dataDir, topic } = await producedTo(t, written);
    asSchema4(dataDir, 1);
    fs.rmSync(path.join(dataDir, 'bulk.db'));
    await refusedNaming(dataDir, 'bulk.db');
    const { logger, logs } = captureLogs();
    const accepting = createEmbeddedBroker({ kind: 'embedded', dataDir, acceptEmptyStorage: true }, logger);
    t.after(() => accepting.stop());
    await accepting.start();
    assert.deepEqual(logs.matching('deleted batches whose bytes').map((l) => l.batches), [2]);
    assert.deepEqual(await values(accepting, topic), ['80:s-0', '81:s-1']);
  });
});
