import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { OutgoingRecord, Producer, RecordPosition } from '../../src/broker/port.ts';
import { HeraldError } from '../../src/errors.ts';
import { OUTBOX_HEADERS, OutboxRelay, type OutboxRelayOptions, type OutboxRow } from '../../src/outbox/index.ts';
import { embeddedBroker, type OutboxFactory, readTopic, silent, uniqueTopic, waitFor } from './harness.ts';

/** A producer in front of a real one that fails while `down` is set (a broker outage), counting its attempts. */
class FlakyProducer implements Producer {
  down = false;
  attempts = 0;
  readonly #inner: Producer;
  constructor(inner: Producer) {
    this.#inner = inner;
  }
  async send(records: OutgoingRecord[]): Promise<RecordPosition[]> {
    this.attempts++;
    if (this.down) throw new HeraldError('HERALD_BROKER_UNAVAILABLE', 'down on purpose');
    return this.#inner.send(records);
  }
  close() {
    return this.#inner.close();
  }
}

async function relayFor(t: TestContext, factory: OutboxFactory, options: Partial<OutboxRelayOptions> = {}) {
  const under = await factory(t);
  if (!under) return undefined;
  const broker = await embeddedBroker(t);
  const topic = uniqueTopic();
  await broker.admin.createTopic({ name: topic, partitions: 3 });
  const producer = new FlakyProducer(broker.producer());
  const published: OutboxRow[] = [];
  const relay = new OutboxRelay({
    store: under.store,
    producer,
    logger: silent,
    route: () => topic,
    backoff: { initialMs: 5, maxMs: 20 },
    onPublished: (rows) => published.push(...rows),
    ...options,
  });
  await relay.start();
  t.after(() => relay.stop());
  return { under, broker, topic, producer, relay, published };
}

/** The cases every outbox store passes, run against the embedded broker. */
export function outboxSuite(name: string, factory: OutboxFactory): void {
  describe(`outbox on ${name}`, { timeout: 60_000 }, () => {
    it('publishes a committed event with its key, payload and headers', async (t) => {
      const setup = await relayFor(t, factory);
      if (!setup) return;
      const { under, broker, topic } = setup;
      await under.write([
        {
          aggregateType: 'task',
          aggregateId: 'task-1',
          type: 'task.created',
          payload: '{"a":1}',
          version: 1,
          headers: { 'herald.correlation-id': 'req-1' },
          id: '00000000-0000-4000-8000-000000000001',
        },
      ]);
      await waitFor('the event', async () => (await readTopic(broker, topic)).length === 1);
      const [record] = await readTopic(broker, topic);
      assert.equal(record.key?.toString(), 'task-1');
      assert.equal(record.value?.toString(), '{"a":1}');
      assert.equal(record.headers[OUTBOX_HEADERS.eventId], '00000000-0000-4000-8000-000000000001');
      assert.equal(record.headers[OUTBOX_HEADERS.eventType], 'task.created');
      assert.equal(record.headers[OUTBOX_HEADERS.aggregateVersion], '1');
      assert.equal(record.headers['herald.correlation-id'], 'req-1');
      assert.ok(Number(record.headers[OUTBOX_HEADERS.occurredAt]) > 0);
      await waitFor('the row marked', async () => (await under.counts()).published === 1);
    });

    it('publishes nothing of a rolled-back transaction, and the rest of its group', async (t) => {
      const setup = await relayFor(t, factory);
      if (!setup) return;
      const { under, broker, topic } = setup;
      const event = (id: string) => ({ aggregateType: 'task', aggregateId: id, type: 'x', payload: id });
      // Same turn: on SQLite these share one group commit, each in a savepoint.
      const results = await Promise.allSettled([
        under.write([event('kept-1')]),
        under.write([event('lost-1'), event('lost-2')], { fail: true }),
        under.write([event('kept-2')]),
      ]);
      assert.deepEqual(
        results.map((r) => r.status),
        ['fulfilled', 'rejected', 'fulfilled'],
      );
      await waitFor('the kept events', async () => (await readTopic(broker, topic)).length === 2);
      await sleep(100);
      const keys = (await readTopic(broker, topic)).map((r) => r.key?.toString()).sort();
      assert.deepEqual(keys, ['kept-1', 'kept-2']);
      assert.deepEqual(await under.counts(), { unpublished: 0, published: 2 });
    });

    it('refuses a malformed event and rolls back its transaction', async (t) => {
      const setup = await relayFor(t, factory);
      if (!setup) return;
      await assert.rejects(
        setup.under.write([{ aggregateType: 'task', aggregateId: '', type: 'x', payload: null }]),
        /aggregateId must be a non-empty string/,
      );
      await assert.rejects(
        setup.under.write([{ aggregateType: 'task', aggregateId: 'a', type: 'x', payload: null, version: 0 }]),
        /version must be a positive integer/,
      );
      assert.deepEqual(await setup.under.counts(), { unpublished: 0, published: 0 });
    });

    it('keeps each aggregate in commit order under concurrent writers', async (t) => {
      const setup = await relayFor(t, factory, { batchSize: 7 });
      if (!setup) return;
      const { under, broker, topic } = setup;
      const keys = ['a', 'b', 'c', 'd', 'e'];
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let i = 0; i < 15; i++) await under.writeVersioned('task', keys[i % keys.length]);
        }),
      );
      await waitFor('every event', async () => (await readTopic(broker, topic)).length === 120);
      const byKey = new Map<string, number[]>();
      for (const r of await readTopic(broker, topic)) {
        const key = r.key!.toString();
        byKey.set(key, [...(byKey.get(key) ?? []), Number(r.headers[OUTBOX_HEADERS.aggregateVersion])]);
      }
      for (const [key, versions] of byKey) {
        assert.deepEqual(
          versions,
          versions.map((_, i) => i + 1),
          `versions of ${key} in order, none missing`,
        );
      }
    });

    it('retries a failing broker without skipping or reordering, then catches up', async (t) => {
      const setup = await relayFor(t, factory, { batchSize: 4 });
      if (!setup) return;
      const { under, broker, topic, producer } = setup;
      producer.down = true;
      for (let i = 0; i < 10; i++) await under.writeVersioned('task', 'k');
      await waitFor('a few failed attempts', () => producer.attempts >= 3);
      assert.equal((await under.counts()).published, 0);
      producer.down = false;
      await waitFor('every event', async () => (await readTopic(broker, topic)).length === 10);
      const versions = (await readTopic(broker, topic)).map((r) => Number(r.headers[OUTBOX_HEADERS.aggregateVersion]));
      assert.deepEqual(
        versions,
        Array.from({ length: 10 }, (_, i) => i + 1),
      );
      await waitFor('all marked', async () => (await under.counts()).unpublished === 0);
    });

    it('deletes published rows past their retention, on schedule', async (t) => {
      const setup = await relayFor(t, factory, { cleanup: { intervalMs: 20, retentionMs: 0, batchSize: 2 } });
      if (!setup) return;
      const { under, published } = setup;
      for (let i = 0; i < 5; i++) await under.writeVersioned('task', `k${i}`);
      await waitFor('published', () => published.length === 5);
      await waitFor('cleaned up', async () => {
        const c = await under.counts();
        return c.published === 0 && c.unpublished === 0;
      });
    });

    it('stops after the batch in flight, leaving later rows for the next start', async (t) => {
      const setup = await relayFor(t, factory);
      if (!setup) return;
      const { under, relay, broker, topic } = setup;
      await under.writeVersioned('task', 'k');
      await waitFor('first published', async () => (await under.counts()).published === 1);
      await relay.stop();
      await under.writeVersioned('task', 'k');
      await sleep(50);
      assert.equal((await readTopic(broker, topic)).length, 1);
      assert.deepEqual(await under.counts(), { unpublished: 1, published: 1 });
      const next = new OutboxRelay({ store: under.store, producer: broker.producer(), logger: silent, route: () => topic });
      await next.start();
      t.after(() => next.stop());
      await waitFor('second published', async () => (await readTopic(broker, topic)).length === 2);
    });
  });
}
