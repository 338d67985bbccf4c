import pg from 'pg';
import type { Book, BookInput } from '../book.ts';
import { starterCatalogue } from '../catalogue.ts';
import { type BookRepository, containsPattern } from './repository.ts';

const COLUMNS = `id, title, author, to_char(published_at, 'YYYY-MM-DD') AS published_at, description,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at`;

/** Books in PostgreSQL (`bookstore.database.url`); search by ILIKE, as the original's LIKE on MySQL was. */
export class PostgresBookRepository implements BookRepository {
  readonly #pool: pg.Pool;

  constructor(options: { url: string; poolSize?: number }) {
    this.#pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10 });
    // An idle client's error (the server restarted) is not the process's: the next query reconnects.
    this.#pool.on('error', () => {});
  }

  async start(): Promise<void> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      // Two processes starting at once: one creates and loads, the other waits and finds it done.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['herald-bookstore-schema']);
      await client.query(`CREATE TABLE IF NOT EXISTS books (
        id BIGSERIAL PRIMARY KEY,
        title TEXT NOT NULL,
        author TEXT NOT NULL,
        published_at DATE NOT NULL,
        description TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
      await client.query('CREATE TABLE IF NOT EXISTS bookstore_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)');
      const loaded = await client.query("SELECT 1 FROM bookstore_meta WHERE name = 'catalogue'");
      if (loaded.rowCount === 0) {
        for (const b of starterCatalogue()) {
          await client.query('INSERT INTO books (title, author, published_at, description) VALUES ($1, $2, $3, $4)', [
            b.title,
            b.author,
            b.published_at,
            b.description,
          ]);
        }
        await client.query("INSERT INTO bookstore_meta (name, value) VALUES ('catalogue', now()::text)");
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async stop(): Promise<void> {
    await this.#pool.end();
  }

  async search(query: string, offset: number, limit: number): Promise<Book[]> {
    const { rows } = await this.#pool.query(
      `SELECT ${COLUMNS} FROM books
       WHERE title ILIKE $1 OR author ILIKE $1 OR description ILIKE $1
       ORDER BY id LIMIT $2 OFFSET $3`,
      [containsPattern(query), limit, offset],
    );
    return rows.map(toBook);
  }

  async create(input: BookInput): Promise<Book> {
    const { rows } = await this.#pool.query(
      `INSERT INTO books (title, author, published_at, description) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
      [input.title, input.author, input.published_at, input.description],
    );
    return toBook(rows[0]);
  }
}

function toBook(row: Record<string, unknown>): Book {
  return {
    id: Number(row.id),
    title: row.title as string,
    author: row.author as string,
    published_at: row.published_at as string,
    description: row.description as string,
    created_at: row.created_at as string,
  };
}
