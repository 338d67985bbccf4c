/**
 * The transactional outbox: a service writes its row changes and the events they cause in ONE database
 * transaction (`SqliteOutbox` or `PostgresOutbox`, through their `transaction` helper); an {@link OutboxRelay}
 * publishes the events to the broker in commit order per aggregate, never skipping one. See README.md.
 */
export { type OutboxMessage, type OutboxRow, OUTBOX_HEADERS, toRecord } from './message.ts';
export { PostgresOutbox, type PostgresOutboxOptions, type PostgresOutboxTransaction } from './postgres/outbox.ts';
export { OutboxRelay, type OutboxRelayOptions } from './relay.ts';
export { GroupCommit, type GroupCommitOptions } from './sqlite/group-commit.ts';
export { SqliteOutbox, type SqliteOutboxOptions, type SqliteOutboxTransaction } from './sqlite/outbox.ts';
export type { OutboxBatch, OutboxReader, OutboxStore } from './store.ts';
