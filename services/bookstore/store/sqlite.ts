import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { Book, BookInput } from '../book.ts';
import { starterCatalogue } from '../catalogue.ts';
import { type BookRepository, containsPattern } from './repository.ts';

const COLUMNS = 'id, title, author, published_at, description, created_at';

/** Books in a SQLite file (WAL); searches run on the event loop, which at page size 5 costs microseconds. */
export class SqliteBookRepository implements BookRepository {
  readonly #file: string;
  #db: DatabaseSync | undefined;
  #search!: StatementSync;
  #insert!: StatementSync;

  constructor(options: { file: string }) {
    this.#file = options.file;
  }

  async start(): Promise<void> {
    if (this.#file !== ':memory:') mkdirSync(dirname(this.#file), { recursive: true });
    const db = new DatabaseSync(this.#file);
    this.#db = db;
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000');
    db.exec(`CREATE TABLE IF NOT EXISTS books (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      title TEXT NOT NULL,
      author TEXT NOT NULL,
      published_at TEXT NOT NULL,
      description TEXT NOT NULL,
      created_at TEXT NOT NULL
    )`);
    db.exec('CREATE TABLE IF NOT EXISTS bookstore_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)');
    this.#search = db.prepare(
      `SELECT ${COLUMNS} FROM books
       WHERE title LIKE ?1 ESCAPE '\\' OR author LIKE ?1 ESCAPE '\\' OR description LIKE ?1 ESCAPE '\\'
       ORDER BY id LIMIT ?2 OFFSET ?3`,
    );
    this.#insert = db.prepare(
      `INSERT INTO books (title, author, published_at, description, created_at) VALUES (?, ?, ?, ?, ?)
       RETURNING ${COLUMNS}`,
    );
    this.#loadCatalogueOnce(db);
  }

  #loadCatalogueOnce(db: DatabaseSync): void {
    db.exec('BEGIN IMMEDIATE');
    try {
      const loaded = db.prepare("SELECT value FROM bookstore_meta WHERE name = 'catalogue'").get();
      if (loaded === undefined) {
        const now = new Date().toISOString();
        for (const b of starterCatalogue()) this.#insert.run(b.title, b.author, b.published_at, b.description, now);
        db.prepare("INSERT INTO bookstore_meta (name, value) VALUES ('catalogue', ?)").run(now);
      }
      db.exec('COMMIT');
    } catch (err) {
      // A full disk rolls back by itself: a second ROLLBACK would throw over the cause.
      if (db.isTransaction) db.exec('ROLLBACK');
      throw err;
    }
  }

  async stop(): Promise<void> {
    this.#db?.close();
    this.#db = undefined;
  }

  async search(query: string, offset: number, limit: number): Promise<Book[]> {
    return this.#search.all(containsPattern(query), limit, offset) as unknown as Book[];
  }

  async create(input: BookInput): Promise<Book> {
    const now = new Date().toISOString();
    return this.#insert.get(input.title, input.author, input.published_at, input.description, now) as unknown as Book;
  }
}
