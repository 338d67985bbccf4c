import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { HeraldError } from '../errors.ts';
import type { KeyValueStore, StoreReset, StoreWrite } from './store.ts';

/** Bumped when the layout changes: an older or newer file is rebuilt (it is a cache of the changelog). */
const LAYOUT_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (p INTEGER NOT NULL, k TEXT NOT NULL, v BLOB NOT NULL, PRIMARY KEY (p, k)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checkpoints (p INTEGER PRIMARY KEY, off INTEGER NOT NULL);
`;

// SQLITE_CORRUPT, SQLITE_NOTADB: the file is not (or no longer) a database we can trust.
const CORRUPT_CODES = new Set([11, 26]);

export interface SqliteStoreOptions {
  /** Called when the file found was not trusted and was started afresh (its partitions then restore from scratch). */
  onReset?: (reset: StoreReset) => void;
  /**
   * Skip the checks on open: only for a second connection to a file another one of this process has just checked
   * (the write-behind thread's).
   */
  checked?: boolean;
}

/**
 * A {@link KeyValueStore} in one SQLite file (WAL). Checkpoints live in the same file and change in the same
 * transaction as the data, so whatever survives a crash is a consistent prefix of the changelog.
 *
 * Never trusted blindly: on open the file must be a database of this layout that passes `PRAGMA quick_check`;
 * otherwise (torn write, garbage, a file of another version) it is deleted with its WAL and started empty, and
 * `onReset` says why. An empty store has no checkpoints, so every partition restores from the changelog.
 *
 * Durability is `synchronous=NORMAL`: a power cut may lose the last transactions but never tears one; the
 * checkpoint goes back with the data and the restore replays what was lost.
 */
export class SqliteStore implements KeyValueStore {
  readonly kind = 'sqlite';
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #get: StatementSync;
  readonly #put: StatementSync;
  readonly #delete: StatementSync;
  readonly #getMany: StatementSync;
  readonly #entries: StatementSync;
  readonly #size: StatementSync;
  readonly #checkpoint: StatementSync;
  readonly #setCheckpoint: StatementSync;
  readonly #checkpoints: StatementSync;
  #closed = false;

  constructor(file: string, options: SqliteStoreOptions = {}) {
    this.path = file;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.#db = options.checked ? open(file) : openTrusted(file, options.onReset);
    this.#get = this.#db.prepare('SELECT v FROM kv WHERE p = ? AND k = ?');
    this.#put = this.#db.prepare('INSERT INTO kv (p, k, v) VALUES (?, ?, ?) ON CONFLICT (p, k) DO UPDATE SET v = excluded.v');
    this.#delete = this.#db.prepare('DELETE FROM kv WHERE p = ? AND k = ?');
    // One statement for a whole batch's keys (a JSON array): half the cost per key of one query each.
    this.#getMany = this.#db.prepare('SELECT k, v FROM kv WHERE p = ? AND k IN (SELECT value FROM json_each(?))');
    this.#entries = this.#db.prepare('SELECT k, v FROM kv WHERE p = ? ORDER BY k');
    this.#size = this.#db.prepare('SELECT count(*) AS n FROM kv WHERE p = ?');
    this.#checkpoint = this.#db.prepare('SELECT off FROM checkpoints WHERE p = ?');
    this.#setCheckpoint = this.#db.prepare(
      'INSERT INTO checkpoints (p, off) VALUES (?, ?) ON CONFLICT (p) DO UPDATE SET off = excluded.off',
    );
    this.#checkpoints = this.#db.prepare('SELECT p FROM checkpoints ORDER BY p');
    for (const s of [this.#get, this.#checkpoint]) s.setReturnArrays(true);
  }

  get(partition: number, key: string): Buffer | undefined {
    const row = this.#get.get(partition, key) as unknown as [Uint8Array] | undefined;
    return row === undefined ? undefined : asBuffer(row[0]);
  }

  getMany(partition: number, keys: readonly string[]): Map<string, Buffer> {
    const out = new Map<string, Buffer>();
    if (keys.length === 0) return out;
    for (const row of this.#getMany.all(partition, JSON.stringify(keys)) as { k: string; v: Uint8Array }[]) {
      out.set(row.k, asBuffer(row.v));
    }
    return out;
  }

  *entries(partition: number): Iterable<[string, Buffer]> {
    for (const row of this.#entries.iterate(partition) as Iterable<{ k: string; v: Uint8Array }>) {
      yield [row.k, asBuffer(row.v)];
    }
  }

  size(partition: number): number {
    return Number((this.#size.get(partition) as { n: number }).n);
  }

  checkpoint(partition: number): number | undefined {
    const row = this.#checkpoint.get(partition) as unknown as [number] | undefined;
    return row === undefined ? undefined : Number(row[0]);
  }

  partitions(): number[] {
    return (this.#checkpoints.all() as { p: number }[]).map((row) => Number(row.p));
  }

  apply(write: StoreWrite): void {
    this.applyAll([write]);
  }

  /** Applies writes in order, in one transaction: all of them, or none if one fails. */
  applyAll(writes: readonly StoreWrite[]): void {
    this.#db.exec('BEGIN');
    try {
      for (const write of writes) {
        for (const { partition, key, value } of write.changes) {
          if (value === null) this.#delete.run(partition, key);
          else this.#put.run(partition, key, value);
        }
        for (const [partition, offset] of write.checkpoints) this.#setCheckpoint.run(partition, offset);
      }
      this.#db.exec('COMMIT');
    } catch (err) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw storeFailed(`writing ${this.path}`, err);
    }
  }

  dropPartition(partition: number): void {
    this.#db.exec('BEGIN');
    try {
      this.#db.prepare('DELETE FROM kv WHERE p = ?').run(partition);
      this.#db.prepare('DELETE FROM checkpoints WHERE p = ?').run(partition);
      this.#db.exec('COMMIT');
    } catch (err) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw storeFailed(`dropping partition ${partition} of ${this.path}`, err);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function storeFailed(what: string, cause: unknown): HeraldError {
  return new HeraldError('HERALD_STORAGE_FAILED', `${what}: ${(cause as Error)?.message ?? cause}`, { cause });
}

function isCorrupt(err: unknown): boolean {
  return CORRUPT_CODES.has((err as { errcode?: number }).errcode ?? -1);
}

/** Why the file cannot be trusted, or `undefined` when it can. Throws for failures that are not the file's fault. */
function distrust(db: DatabaseSync): string | undefined {
  try {
    const version = Number((db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version);
    const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number };
    if (Number(tables.n) > 0 && version !== LAYOUT_VERSION) return `layout version ${version}, not ${LAYOUT_VERSION}`;
    const check = db.prepare('PRAGMA quick_check(1)').get() as { quick_check: string };
    if (check.quick_check !== 'ok') return `quick_check: ${check.quick_check}`;
    return undefined;
  } catch (err) {
    if (isCorrupt(err)) return (err as Error).message;
    throw err;
  }
}

function open(file: string): DatabaseSync {
  const db = new DatabaseSync(file);
  try {
    // Two connections may write (the write-behind thread, and restores here): wait for each other's short
    // transactions rather than fail.
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536; PRAGMA busy_timeout = 10000');
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

function remove(file: string): void {
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
}

function openTrusted(file: string, onReset: SqliteStoreOptions['onReset']): DatabaseSync {
  let reason: string | undefined;
  let db: DatabaseSync | undefined;
  try {
    db = open(file);
    reason = distrust(db);
  } catch (err) {
    if (!isCorrupt(err)) {
      db?.close();
      throw storeFailed(`opening ${file}`, err);
    }
    reason = (err as Error).message;
  }
  if (reason !== undefined) {
    db?.close();
    remove(file);
    onReset?.({ path: file, reason });
    db = open(file);
  }
  const ready = db as DatabaseSync;
  try {
    ready.exec(SCHEMA);
    ready.exec(`PRAGMA user_version = ${LAYOUT_VERSION}`);
  } catch (err) {
    ready.close();
    throw storeFailed(`creating ${file}`, err);
  }
  return ready;
}
