import pg from 'pg';
import type { Logger } from 'pino';
import { HeraldError } from '../../errors.ts';
import { type OutboxMessage, type OutboxRow, prepareMessage } from '../message.ts';
import type { OutboxBatch, OutboxReader, OutboxStore } from '../store.ts';
import { deleteQuery, fetchQuery, insertQuery, markQuery, schemaStatements } from './schema.ts';

export interface PostgresOutboxOptions {
  /** `postgres://user:password@host:port/database`. */
  url: string;
  /** Connections of the writers' pool (the relay has one more of its own). Default 10. */
  poolSize?: number;
  /** The outbox table. Default `herald_outbox`. */
  table?: string;
  logger?: Logger;
}

/** What a transaction's work gets: queries on the transaction's connection, and `append`. */
export interface PostgresOutboxTransaction {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
  /** Adds an event, committed — or rolled back — with the transaction. */
  append(message: OutboxMessage): Promise<void>;
}

interface RowRecord {
  id: string;
  event_id: string;
  aggregate_type: string;
  aggregate_id: string;
  type: string;
  payload: Buffer | null;
  headers: Record<string, string>;
  created_at: string;
  ready: boolean;
}

const TABLE_NAME = /^[a-z_][a-z0-9_]{0,50}$/;

/**
 * A service's PostgreSQL database with a transactional outbox in it: `transaction(async (tx) => { await
 * tx.query(…); await tx.append(event); })` commits the service's rows and its events together.
 *
 * The relay uses snapshot-safe polling (not logical replication): rows carry their transaction id, a fetch returns
 * only rows of transactions older than the oldest one still running, and a trigger's NOTIFY at commit wakes the
 * relay at once. Chosen over a replication slot because it needs no `wal_level=logical`, no replication privilege
 * and no slot that retains WAL while the relay is down; the price is that a long-running transaction anywhere in
 * the cluster holds publication back until it ends.
 */
export class PostgresOutbox implements OutboxStore {
  readonly kind = 'postgres';
  readonly pool: pg.Pool;
  readonly #url: string;
  readonly #table: string;
  readonly #channel: string;
  readonly #logger: Logger | undefined;
  readonly #insert: string;

  constructor(options: PostgresOutboxOptions) {
    const table = options.table ?? 'herald_outbox';
    if (!TABLE_NAME.test(table)) throw new HeraldError('HERALD_INVALID_ARGUMENT', `bad outbox table name ${table}`);
    this.#url = options.url;
    this.#table = table;
    this.#channel = `${table}_committed`;
    this.#logger = options.logger;
    this.#insert = insertQuery(table);
    this.pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10 });
    // An idle client's connection dropping must not crash the process; the next checkout reconnects.
    this.pool.on('error', (err) => this.#logger?.warn({ err }, 'outbox database: an idle connection failed'));
  }

  /** Creates the outbox table, its indexes and trigger if missing (safe when several processes start at once). */
  async migrate(): Promise<void> {
    await this.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`herald-outbox-schema:${this.#table}`]);
      for (const statement of schemaStatements(this.#table, this.#channel)) await tx.query(statement);
    });
  }

  /**
   * Runs `work` in a transaction on one pooled connection: COMMIT when it resolves, ROLLBACK when it throws (its
   * error is rethrown). Database failures become `HERALD_STORAGE_FAILED` (retriable). A COMMIT whose answer is lost
   * with the connection leaves the outcome unknown, as with any database.
   */
  async transaction<T>(work: (tx: PostgresOutboxTransaction) => Promise<T>): Promise<T> {
    const client = await this.pool.connect().catch((err: unknown) => {
      throw storageError('could not connect to PostgreSQL', err);
    });
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const tx: PostgresOutboxTransaction = {
        query: (text, values) => client.query(text, values),
        append: async (message) => {
          const m = prepareMessage(message);
          await client.query(this.#insert, [
            m.eventId,
            m.aggregateType,
            m.aggregateId,
            m.type,
            m.payload,
            m.headers,
            m.version,
            m.createdAt,
          ]);
        },
      };
      const result = await work(tx);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackErr: unknown) => {
        broken = rollbackErr as Error;
      });
      throw err instanceof HeraldError ? err : storageError('the transaction failed', err);
    } finally {
      client.release(broken);
    }
  }

  /** A query outside any transaction, on a pooled connection. */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]) {
    try {
      return await this.pool.query<R>(text, values);
    } catch (err) {
      throw storageError('the query failed', err);
    }
  }

  /**
   * A relay session on a connection of its own: it takes a session-level advisory lock (waiting, polling once a
   * second, while another process's relay holds it), then LISTENs for commits.
   */
  async openRelay(onCommit: () => void, signal: AbortSignal): Promise<OutboxReader> {
    const client = new pg.Client({ connectionString: this.#url });
    client.on('error', (err) => this.#logger?.warn({ err }, 'outbox relay: the connection failed'));
    try {
      await client.connect();
      const lockKey = `herald-outbox-relay:${this.#table}`;
      for (;;) {
        const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [
          lockKey,
        ]);
        if (rows[0].locked) break;
        if (signal.aborted) throw new HeraldError('HERALD_SHUTTING_DOWN', 'the relay stopped waiting for its lock');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 1000);
          signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
        });
      }
      client.on('notification', (n) => {
        if (n.channel === this.#channel) onCommit();
      });
      await client.query(`LISTEN ${this.#channel}`);
    } catch (err) {
      await client.end().catch(() => {});
      throw err instanceof HeraldError ? err : storageError('could not open the outbox relay session', err);
    }
    const fetch = fetchQuery(this.#table);
    const mark = markQuery(this.#table);
    const remove = deleteQuery(this.#table);
    let closed = false;
    return {
      fetch: async (limit): Promise<OutboxBatch> => {
        const { rows } = await query<RowRecord>(client, fetch, [limit]);
        const ready = rows.findIndex((r) => !r.ready);
        const usable = ready === -1 ? rows : rows.slice(0, ready);
        return { rows: usable.map(toRow), heldBack: ready !== -1 };
      },
      markPublished: async (ids, at) => {
        if (ids.length > 0) await query(client, mark, [at, ids]);
      },
      deletePublished: async (before, limit) => (await query(client, remove, [before, limit])).rowCount ?? 0,
      close: async () => {
        if (closed) return;
        closed = true;
        await client.end().catch(() => {}); // ending the session releases the advisory lock
      },
    };
  }

  /** Closes the writers' pool. Stop the relay first. */
  async close(): Promise<void> {
    await this.pool.end();
  }
}

async function query<R extends pg.QueryResultRow>(client: pg.Client, text: string, values: unknown[]) {
  try {
    return await client.query<R>(text, values);
  } catch (err) {
    throw storageError('an outbox relay query failed', err);
  }
}

function toRow(r: RowRecord): OutboxRow {
  return {
    id: Number(r.id),
    eventId: r.event_id,
    aggregateType: r.aggregate_type,
    aggregateId: r.aggregate_id,
    type: r.type,
    payload: r.payload,
    headers: r.headers,
    createdAt: Number(r.created_at),
  };
}

function storageError(message: string, cause: unknown): HeraldError {
  return new HeraldError('HERALD_STORAGE_FAILED', `${message}: ${(cause as Error)?.message ?? cause}`, { cause });
}
