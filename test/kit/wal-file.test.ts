import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { WalFile } from '../../src/kit/wal-file.ts';

describe('WalFile', () => {
  it("syncs a database's write-ahead log on the thread pool or now, opening it once; reopens after close", async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-wal-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'a.db');
    const db = new DatabaseSync(file);
    t.after(() => db.close());
    db.exec('PRAGMA journal_mode = WAL; CREATE TABLE t (x); INSERT INTO t VALUES (1);');
    const wal = new WalFile(`${file}-wal`);
    const opened: string[] = [];
    const openSync = fs.openSync;
    t.mock.method(fs, 'openSync', (...args: Parameters<typeof fs.openSync>) => {
      opened.push(String(args[0]));
      return openSync(...args);
    });
    await wal.sync();
    wal.syncNow();
    await wal.sync();
    assert.deepEqual(opened, [`${file}-wal`]);
    wal.close();
    wal.close();
    await wal.sync();
    assert.equal(opened.length, 2);
    wal.close();
  });

  it('rejects, or throws, with the file system error when the log cannot be opened', async () => {
    const wal = new WalFile(path.join(os.tmpdir(), 'herald-wal-missing', 'a.db-wal'));
    await assert.rejects(wal.sync(), { code: 'ENOENT' });
    assert.throws(() => wal.syncNow(), { code: 'ENOENT' });
  });
});
