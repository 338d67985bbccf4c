import { DatabaseSync, type StatementSync } from 'node:sqlite';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  received_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS deliveries (
  event_id TEXT NOT NULL,
  destination TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  last_error TEXT,
  first_attempt_at INTEGER,
  last_attempt_at INTEGER,
  delivered_at INTEGER,
  dead_at INTEGER,
  replays INTEGER NOT NULL DEFAULT 0,
  replayed_at INTEGER,
  PRIMARY KEY (event_id, destination)
) WITHOUT ROWID;
`;

/** Columns added after the first release, with their definitions: added to a file that lacks them. */
const ADDED_COLUMNS: [name: string, definition: string][] = [
  ['replays', 'INTEGER NOT NULL DEFAULT 0'],
  ['replayed_at', 'INTEGER'],
];

function addMissingColumns(db: DatabaseSync): void {
  const present = new Set((db.prepare('PRAGMA table_info(deliveries)').all() as { name: string }[]).map((c) => c.name));
  for (const [name, definition] of ADDED_COLUMNS) {
    if (present.has(name)) continue;
    try {
      db.exec(`ALTER TABLE deliveries ADD COLUMN ${name} ${definition}`);
    } catch (err) {
      // The store and its writing thread open the file at once: the other may have added it first.
      if (!/duplicate column/i.test((err as Error).message)) throw err;
    }
  }
}

/**
 * Opens the status database (WAL, `synchronous=NORMAL`: a committed write survives `kill -9` of Herald; only an OS
 * crash may lose the newest), creating its tables. Both the store (reads) and its writing thread open it.
 */
export function openStatusDb(file: string): DatabaseSync {
  const db = new DatabaseSync(file);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;');
  db.exec(SCHEMA);
  addMissingColumns(db);
  return db;
}

/** One status change, as the store sends it to its writing thread. */
export type StatusWrite =
  | [op: 'event', eventId: string, userId: string, receivedAt: number]
  | [
      op: 'attempt',
      eventId: string,
      destination: string,
      state: 'delivered' | 'pending',
      error: string | null,
      at: number,
      answeredAt: number,
    ]
  | [op: 'filtered', eventId: string, destination: string, at: number]
  | [op: 'dead', eventId: string, destination: string, error: string, at: number];

/** The statements that write (the writing thread's). */
export function writeStatements(db: DatabaseSync) {
  const s = (sql: string): StatementSync => db.prepare(sql);
  return {
    insertEvent: s('INSERT OR IGNORE INTO events (id, user_id, received_at) VALUES (?, ?, ?)'),
    // An attempt on an event already dead means it was replayed: it is pending (or delivered) again, and counted
    // as replayed. (Every expression in SET reads the row as it was before the update.)
    attempt: s(`INSERT INTO deliveries (event_id, destination, state, attempts, last_error, first_attempt_at,
                  last_attempt_at, delivered_at, dead_at)
                VALUES (?1, ?2, ?3, 1, ?4, ?5, ?5, CASE ?3 WHEN 'delivered' THEN ?6 END, NULL)
                ON CONFLICT (event_id, destination) DO UPDATE SET
                  state = CASE WHEN state = 'delivered' THEN 'delivered' ELSE excluded.state END,
                  attempts = attempts + 1,
                  replays = replays + CASE WHEN state = 'dead' THEN 1 ELSE 0 END,
                  replayed_at = CASE WHEN state = 'dead' THEN excluded.last_attempt_at ELSE replayed_at END,
                  last_error = COALESCE(excluded.last_error, last_error),
                  first_attempt_at = COALESCE(first_attempt_at, excluded.first_attempt_at),
                  last_attempt_at = excluded.last_attempt_at,
                  delivered_at = COALESCE(delivered_at, excluded.delivered_at),
                  dead_at = CASE WHEN excluded.state = 'delivered' THEN dead_at ELSE NULL END`),
    dead: s(`INSERT INTO deliveries (event_id, destination, state, attempts, last_error, dead_at)
             VALUES (?1, ?2, 'dead', 0, ?3, ?4)
             ON CONFLICT (event_id, destination) DO UPDATE SET
               state = CASE WHEN state = 'delivered' THEN 'delivered' ELSE 'dead' END,
               last_error = ?3,
               dead_at = CASE WHEN state = 'delivered' THEN dead_at ELSE ?4 END`),
    filtered: s(`INSERT INTO deliveries (event_id, destination, state, attempts, delivered_at)
                 VALUES (?1, ?2, 'delivered', 0, ?3) ON CONFLICT (event_id, destination) DO NOTHING`),
    purgeable: s(`SELECT e.id FROM events e WHERE e.id < ?1 AND
                    (SELECT count(*) FROM deliveries d WHERE d.event_id = e.id AND d.state != 'pending') >= ?2
                  LIMIT ?3`),
    deleteDeliveries: s('DELETE FROM deliveries WHERE event_id = ?'),
    deleteEvent: s('DELETE FROM events WHERE id = ?'),
  };
}

/** The statements that read (the store's). */
export function readStatements(db: DatabaseSync) {
  const s = (sql: string): StatementSync => db.prepare(sql);
  return {
    state: s('SELECT state FROM deliveries WHERE event_id = ? AND destination = ?'),
    event: s('SELECT id, user_id, received_at FROM events WHERE id = ?'),
    deliveries: s(`SELECT destination, state, attempts, last_error, first_attempt_at, last_attempt_at, delivered_at,
                     dead_at, replays, replayed_at FROM deliveries WHERE event_id = ? ORDER BY destination`),
  };
}

/** Runs `work` in one transaction. */
export function inTransaction(db: DatabaseSync, work: () => void): void {
  db.exec('BEGIN');
  try {
    work();
    db.exec('COMMIT');
  } catch (err) {
    // SQLite rolls back by itself on some failures (a full disk): rolling back again would throw over the cause.
    if (db.isTransaction) db.exec('ROLLBACK');
    throw err;
  }
}
