/**
 * The outbox table on PostgreSQL. `xid` is the writing transaction's id (`pg_current_xact_id()`): the relay reads
 * only rows whose transaction is older than every transaction still running (see `fetchQuery`), so a transaction
 * that took its id — and its rows' sequence ids — early but commits late is never skipped. A statement trigger
 * NOTIFYs the relay; PostgreSQL delivers notifications at commit, and never for a rolled-back transaction.
 */
export function schemaStatements(table: string, channel: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${table} (
       id BIGSERIAL PRIMARY KEY,
       xid XID8 NOT NULL DEFAULT pg_current_xact_id(),
       event_id UUID NOT NULL,
       aggregate_type TEXT NOT NULL,
       aggregate_id TEXT NOT NULL,
       type TEXT NOT NULL,
       payload BYTEA,
       headers JSONB NOT NULL,
       version BIGINT,
       created_at BIGINT NOT NULL,
       published_at BIGINT
     )`,
    `CREATE INDEX IF NOT EXISTS ${table}_unpublished ON ${table} (xid, id) WHERE published_at IS NULL`,
    `CREATE INDEX IF NOT EXISTS ${table}_published ON ${table} (published_at) WHERE published_at IS NOT NULL`,
    `CREATE OR REPLACE FUNCTION ${table}_notify() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN PERFORM pg_notify('${channel}', ''); RETURN NULL; END $$`,
    `CREATE OR REPLACE TRIGGER ${table}_notify AFTER INSERT ON ${table}
       FOR EACH STATEMENT EXECUTE FUNCTION ${table}_notify()`,
  ];
}

export function insertQuery(table: string): string {
  return `INSERT INTO ${table} (event_id, aggregate_type, aggregate_id, type, payload, headers, version, created_at)
          VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`;
}

/**
 * Unpublished rows in (xid, id) order, each flagged `ready` when its transaction id is below the xmin of the
 * current snapshot — every transaction below it has ended, so no row with a smaller xid can still appear. Ready
 * rows all come first (they have the smallest xids); rows after them are committed but held back by an older
 * transaction still running. Within one aggregate, xid order is commit order as long as transactions writing it
 * conflict on a row they write before anything else (see README: the aggregate row is updated first).
 */
export function fetchQuery(table: string): string {
  return `SELECT id, event_id, aggregate_type, aggregate_id, type, payload, headers, created_at,
                 xid < pg_snapshot_xmin(pg_current_snapshot()) AS ready
          FROM ${table} WHERE published_at IS NULL ORDER BY xid, id LIMIT $1`;
}

export function markQuery(table: string): string {
  return `UPDATE ${table} SET published_at = $1 WHERE id = ANY($2::bigint[]) AND published_at IS NULL`;
}

export function deleteQuery(table: string): string {
  return `DELETE FROM ${table} WHERE id IN
            (SELECT id FROM ${table} WHERE published_at IS NOT NULL AND published_at < $1
             ORDER BY published_at LIMIT $2)`;
}
