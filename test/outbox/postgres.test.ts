import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { OUTBOX_HEADERS, OutboxRelay, PostgresOutbox } from '../../src/outbox/index.ts';
import { postgresLocal } from '../support/postgres.ts';
import { embeddedBroker, postgresFactory, readTopic, silent, uniqueTopic, waitFor } from './harness.ts';
import { outboxSuite } from './suite.ts';

outboxSuite('PostgreSQL', postgresFactory);

/** A transaction held open on a connection of its own, so a test decides when it commits. */
async function openTransaction(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('BEGIN');
  return {
    append: (key: string) =>
      client.query(
        `INSERT INTO herald_outbox (event_id, aggregate_type, aggregate_id, type, payload, headers, created_at)
         VALUES (gen_random_uuid(), 'task', $1, 'x', $2, jsonb_build_object('${OUTBOX_HEADERS.eventId}', $1::text), $3)`,
        [key, Buffer.from(key), Date.now()],
      ),
    end: async (how: 'COMMIT' | 'ROLLBACK') => {
      await client.query(how);
      await client.end();
    },
  };
}

describe('PostgreSQL outbox relay', { timeout: 60_000 }, () => {
  it('publishes rows committed out of sequence order without skipping any', async (t) => {
    const url = await postgresLocal(t);
    if (!url) return;
    const outbox = new PostgresOutbox({ url, logger: silent });
    t.after(() => outbox.close());
    await outbox.migrate();
    const broker = await embeddedBroker(t);
    const topic = uniqueTopic();
    await broker.admin.createTopic({ name: topic, partitions: 1 });
    const relay = new OutboxRelay({ store: outbox, producer: broker.producer(), logger: silent, route: () => topic });
    await relay.start();
    t.after(() => relay.stop());

    // The earlier transaction takes the smaller sequence id; the later one commits first.
    const early = await openTransaction(url);
    await early.append('early');
    const late = await openTransaction(url);
    await late.append('late');
    await late.end('COMMIT');
    // A poller by id would now publish 'late' and move its cursor past 'early' for good. Here 'late' waits: the
    // open transaction is older than it.
    await sleep(300);
    assert.deepEqual(await readTopic(broker, topic), []);
    await early.end('COMMIT');
    await waitFor('both rows', async () => (await readTopic(broker, topic)).length === 2);
    assert.deepEqual(
      (await readTopic(broker, topic)).map((r) => r.key?.toString()),
      ['early', 'late'],
    );
  });

  it('goes on after an older transaction rolls back, publishing only what committed', async (t) => {
    const url = await postgresLocal(t);
    if (!url) return;
    const outbox = new PostgresOutbox({ url, logger: silent });
    t.after(() => outbox.close());
    await outbox.migrate();
    const broker = await embeddedBroker(t);
    const topic = uniqueTopic();
    await broker.admin.createTopic({ name: topic, partitions: 1 });
    const relay = new OutboxRelay({ store: outbox, producer: broker.producer(), logger: silent, route: () => topic });
    await relay.start();
    t.after(() => relay.stop());

    const aborted = await openTransaction(url);
    await aborted.append('aborted');
    const committed = await openTransaction(url);
    await committed.append('committed');
    await committed.end('COMMIT');
    await sleep(100);
    await aborted.end('ROLLBACK'); // no NOTIFY: the relay finds the held-back row by polling again shortly
    await waitFor('the committed row', async () => (await readTopic(broker, topic)).length === 1);
    await sleep(100);
    assert.deepEqual(
      (await readTopic(broker, topic)).map((r) => r.key?.toString()),
      ['committed'],
    );
  });

  it('lets one relay at a time publish; another takes over when it stops', async (t) => {
    const url = await postgresLocal(t);
    if (!url) return;
    const outbox = new PostgresOutbox({ url, logger: silent });
    t.after(() => outbox.close());
    await outbox.migrate();
    const broker = await embeddedBroker(t);
    const topic = uniqueTopic();
    await broker.admin.createTopic({ name: topic, partitions: 1 });
    const first = new OutboxRelay({ store: outbox, producer: broker.producer(), logger: silent, route: () => topic });
    const second = new OutboxRelay({ store: outbox, producer: broker.producer(), logger: silent, route: () => topic });
    await first.start();
    await waitFor('the first relay to take the lock', async () => {
      const { rows } = await outbox.query<{ n: string }>("SELECT count(*) AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND d.datname = current_database()");
      return Number(rows[0].n) === 1;
    });
    await second.start();
    t.after(() => second.stop());
    await outbox.transaction((tx) => tx.append({ aggregateType: 't', aggregateId: 'one', type: 'x', payload: '1' }));
    await waitFor('the first event', async () => (await readTopic(broker, topic)).length === 1);
    assert.equal(first.published, 1);
    assert.equal(second.published, 0);
    await first.stop();
    await outbox.transaction((tx) => tx.append({ aggregateType: 't', aggregateId: 'two', type: 'x', payload: '2' }));
    await waitFor('the second event', async () => (await readTopic(broker, topic)).length === 2, 10_000);
    assert.equal(second.published, 1);
  });

  it('fails a transaction on an unreachable database as retriable storage failure', async () => {
    const outbox = new PostgresOutbox({ url: 'postgres://nobody@127.0.0.1:1/none', logger: silent });
    await assert.rejects(
      outbox.transaction(async () => 1),
      (err: { code?: string; retriable?: boolean }) => err.code === 'HERALD_STORAGE_FAILED' && err.retriable === true,
    );
    await outbox.close();
  });
});
