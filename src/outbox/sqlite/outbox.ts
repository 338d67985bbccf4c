import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { Logger } from 'pino';
import { HeraldError } from '../../errors.ts';
import { type OutboxMessage, type OutboxRow, prepareMessage } from '../message.ts';
import type { OutboxBatch, OutboxReader, OutboxStore } from '../store.ts';
import { GroupCommit } from './group-commit.ts';

export interface SqliteOutboxOptions {
  /** The database file (created with its folder when missing); the service's own tables live beside the outbox. */
  file: string;
  /** `fsync` (default): a transaction resolves once durable on disk; `os`: once committed (an OS crash may lose it). */
  durability?: 'fsync' | 'os';
  /** The outbox table. Default `herald_outbox`. */
  table?: string;
  logger?: Logger;
}

/** What a transaction's work gets: the connection, and `append` to add an event to the same transaction. */
export interface SqliteOutboxTransaction {
  readonly db: DatabaseSync;
  /** Adds an event, written — or rolled back — with the transaction. */
  append(message: OutboxMessage): void;
}

interface RowRecord {
  id: number;
  event_id: string;
  aggregate_type: string;
  aggregate_id: string;
  type: string;
  payload: Uint8Array | null;
  headers: string;
  created_at: number;
}

const TABLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * A service's SQLite database with a transactional outbox in it. The service writes its rows and its events in
 * ONE transaction: `transaction((tx) => { tx.db.prepare(…).run(…); tx.append(event); })`.
 *
 * Why polling by sequence is safe here: SQLite has one writer at a time (a write transaction holds the database's
 * write lock from its first write to its COMMIT), and this class runs every transaction on one connection, so row
 * ids (AUTOINCREMENT) are handed out in commit order — a row with a smaller id is never committed after one with a
 * larger id, and reading unpublished rows by id cannot skip one or reorder an aggregate. The relay is woken in
 * process once a group of transactions is durable and reads no row past the last durable one: it cannot publish
 * an event that an OS crash would then take back.
 */
export class SqliteOutbox implements OutboxStore {
  readonly kind = 'sqlite';
  readonly db: DatabaseSync;
  readonly #commits: GroupCommit;
  readonly #listeners = new Set<() => void>();
  readonly #insert: StatementSync;
  readonly #fetch: StatementSync;
  readonly #mark: StatementSync;
  readonly #delete: StatementSync;
  readonly #tx: SqliteOutboxTransaction;
  #open = true;
  /** The last row id appended (committed or not). */
  #appended = 0;
  /** The last row id known durable: the relay reads no further, so it never publishes what a crash could undo. */
  #durable = 0;

  constructor(options: SqliteOutboxOptions) {
    const table = options.table ?? 'herald_outbox';
    if (!TABLE_NAME.test(table)) throw new HeraldError('HERALD_INVALID_ARGUMENT', `bad outbox table name ${table}`);
    mkdirSync(path.dirname(options.file), { recursive: true });
    this.db = new DatabaseSync(options.file, { timeout: 5_000 });
    try {
      // NORMAL: commits are not synced one by one; the group commit syncs the log once per group instead.
      this.db.exec(`
        PRAGMA journal_mode = WAL;
        PRAGMA synchronous = NORMAL;
        PRAGMA temp_store = MEMORY;
        CREATE TABLE IF NOT EXISTS ${table} (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          event_id TEXT NOT NULL,
          aggregate_type TEXT NOT NULL,
          aggregate_id TEXT NOT NULL,
          type TEXT NOT NULL,
          payload BLOB,
          headers TEXT NOT NULL,
          version INTEGER,
          created_at INTEGER NOT NULL,
          published_at INTEGER
        );
        CREATE INDEX IF NOT EXISTS ${table}_unpublished ON ${table} (id) WHERE published_at IS NULL;
        CREATE INDEX IF NOT EXISTS ${table}_published ON ${table} (published_at) WHERE published_at IS NOT NULL;
      `);
    } catch (err) {
      this.db.close();
      throw new HeraldError('HERALD_STORAGE_FAILED', `could not open ${options.file}: ${(err as Error).message}`, {
        cause: err,
        retriable: false,
      });
    }
    this.#insert = this.db.prepare(
      `INSERT INTO ${table} (event_id, aggregate_type, aggregate_id, type, payload, headers, version, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#fetch = this.db.prepare(
      `SELECT id, event_id, aggregate_type, aggregate_id, type, payload, headers, created_at FROM ${table}
       WHERE published_at IS NULL AND id <= ? ORDER BY id LIMIT ?`,
    );
    this.#mark = this.db.prepare(
      `UPDATE ${table} SET published_at = ? WHERE id IN (SELECT value FROM json_each(?)) AND published_at IS NULL`,
    );
    this.#delete = this.db.prepare(
      `DELETE FROM ${table} WHERE id IN
         (SELECT id FROM ${table} WHERE published_at IS NOT NULL AND published_at < ? ORDER BY published_at LIMIT ?)`,
    );
    this.#commits = new GroupCommit({
      db: this.db,
      walFile: `${options.file}-wal`,
      durability: options.durability ?? 'fsync',
      logger: options.logger,
      watermark: () => this.#appended,
      onDurable: (watermark) => {
        this.#durable = Math.max(this.#durable, watermark);
        for (const listener of this.#listeners) listener();
      },
    });
    this.#tx = {
      db: this.db,
      append: (message) => {
        const m = prepareMessage(message);
        this.#appended = Number(
          this.#insert.run(
            m.eventId,
          m.aggregateType,
          m.aggregateId,
          m.type,
          m.payload,
          JSON.stringify(m.headers),
            m.version,
            m.createdAt,
          ).lastInsertRowid,
        );
      },
    };
    // What is in the file at open survived whatever came before: durable as far as this process can tell.
    const { last } = this.db.prepare(`SELECT coalesce(max(id), 0) AS last FROM ${table}`).get() as { last: number };
    this.#appended = this.#durable = last;
  }

  /**
   * Runs `work` (synchronous: it must not await) in a transaction with the events it appends. Resolves with its
   * result once the transaction is durable; rejects with its error after rolling all of it back. Transactions
   * requested in the same turn of the event loop commit together (see `GroupCommit`).
   */
  transaction<T>(work: (tx: SqliteOutboxTransaction) => T): Promise<T> {
    return this.#commits.run(() => work(this.#tx));
  }

  /** Reads without a transaction of its own (SQLite's reads see every committed row). */
  read<T>(work: (db: DatabaseSync) => T): T {
    if (!this.#open) throw new HeraldError('HERALD_SHUTTING_DOWN', 'the database is closed');
    return work(this.db);
  }

  async openRelay(onCommit: () => void): Promise<OutboxReader> {
    this.#listeners.add(onCommit);
    const reader: OutboxReader = {
      fetch: async (limit) => this.#fetchRows(limit),
      markPublished: async (ids, at) => {
        if (ids.length > 0) this.#mark.run(at, JSON.stringify(ids));
      },
      deletePublished: async (before, limit) => Number(this.#delete.run(before, limit).changes),
      close: async () => {
        this.#listeners.delete(onCommit);
      },
    };
    return reader;
  }

  #fetchRows(limit: number): OutboxBatch {
    if (!this.#open) throw new HeraldError('HERALD_SHUTTING_DOWN', 'the outbox database is closed');
    const rows = (this.#fetch.all(this.#durable, limit) as unknown as RowRecord[]).map(
      (r): OutboxRow => ({
        id: r.id,
        eventId: r.event_id,
        aggregateType: r.aggregate_type,
        aggregateId: r.aggregate_id,
        type: r.type,
        payload: r.payload === null ? null : Buffer.from(r.payload.buffer, r.payload.byteOffset, r.payload.byteLength),
        headers: JSON.parse(r.headers) as Record<string, string>,
        createdAt: r.created_at,
      }),
    );
    return { rows, heldBack: false };
  }

  /** Finishes queued transactions, then closes the database. Stop the relay first. */
  async close(): Promise<void> {
    if (!this.#open) return;
    await this.#commits.close();
    this.#open = false;
    this.#listeners.clear();
    this.db.close();
  }
}
