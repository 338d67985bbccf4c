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
    `CREATE INDEX IF NOT EXISTS ${table}_unpublished ON ${table} (id) WHERE published_at IS NULL`,
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
 * Unpublished rows in sequence order, each flagged `ready` when its transaction id is below the xmin of the
 * current snapshot (every transaction at or below it has ended). The relay takes the ready prefix and stops at the
 * first row that is not ready — committed, but newer than a transaction still running — so rows go out in sequence
 * order, and only once every older writer has finished.
 *
 * Why sequence order and not xid order: a row's sequence id is taken when the outbox row is inserted, after the
 * transaction has written (so locked) its aggregate's row, so one aggregate's ids follow the order its writers
 * took that lock, which is their commit order. Its xid, in contrast, is taken at the transaction's first write,
 * before it waits for that lock: concurrent updates of one row commit in another order than their xids (seen in
 * the repository tests), so `ORDER BY xid` would publish one aggregate's versions out of order.
 */
export function fetchQuery(table: string): string {
  return `SELECT id, event_id, aggregate_type, aggregate_id, type, payload, headers, created_at,
                 xid < pg_snapshot_xmin(pg_current_snapshot()) AS ready
          FROM ${table} WHERE published_at IS NULL ORDER BY id LIMIT $1`;
}

export function markQuery(table: string): string {
  return `UPDATE ${table} SET published_at = $1 WHERE id = ANY($2::bigint[]) AND published_at IS NULL`;
}

export function deleteQuery(table: string): string {
  return `DELETE FROM ${table} WHERE id IN
            (SELECT id FROM ${table} WHERE published_at IS NOT NULL AND published_at < $1
             ORDER BY published_at LIMIT $2)`;
}
