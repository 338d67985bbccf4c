/**
 * The Kafka fetch loop keeps one Fetch per broker in flight. A partition whose fetched records wait for a busy
 * listener is left out of the next Fetch; once handed over it must be fetched again soon — not only after the other
 * partitions' long poll ends. The Fetch waits here are long (5 s) so that a record stuck behind one is unmistakable.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectionPool, Consumer, FetchIsolationLevels } from '@platformatic/kafka';
import pino from 'pino';
import { Fetcher } from '../../../src/broker/kafka/fetcher.ts';
import { createKafkaBroker } from '../../../src/broker/kafka/index.ts';
import { kafkaSingle } from '../../support/kafka.ts';

const LONG_POLL_MS = 5_000;

describe('kafka fetch loop', { timeout: 60_000 }, () => {
  it('fetches a partition again soon after its held-back records are handed over, while another long-polls', async (t) => {
    const bootstrap = await kafkaSingle(t);
    if (bootstrap === undefined) return;
    const broker = createKafkaBroker({ kind: 'kafka', bootstrap });
    t.after(() => broker.stop());
    await broker.start();
    const topic = `herald-held-back-${process.pid}-${randomBytes(4).toString('hex')}`;
    await broker.admin.createTopic({ name: topic, partitions: 2 });
    t.after(() => broker.admin.deleteTopic(topic).catch(() => {}));
    const producer = broker.producer();
    t.after(() => producer.close());
    const send = (value: string) => producer.send([{ topic, partition: 0, value: Buffer.from(value) }]);

    const clientId = `held-back-${randomBytes(4).toString('hex')}`;
    const client = new Consumer({
      clientId,
      groupId: clientId,
      bootstrapBrokers: bootstrap,
      autocommit: false,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
    });
    const pool = new ConnectionPool(clientId, {});
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const arrived = new Map<string, number>();
    const fetcher = new Fetcher(
      client,
      pool,
      {
        topics: [topic],
        maxBatchSize: 1,
        maxWaitMs: LONG_POLL_MS,
        partitionMaxBytes: 1_048_576,
        maxBytes: 52_428_800,
        readCommitted: true,
        deliver: async (records) => {
          for (const r of records) arrived.set(r.value!.toString(), performance.now());
          // The first record keeps the listener busy until released: the partition's next records wait fetched.
          if (records.some((r) => r.value!.toString() === 'first')) await gate;
        },
      },
      pino({ level: 'silent' }),
    );
    t.after(async () => {
      release();
      await fetcher.stop();
      await client.close();
      await pool.close();
    });
    fetcher.add({ topic, partition: 0 }, 0);
    fetcher.add({ topic, partition: 1 }, 0);

    await send('first');
    while (!arrived.has('first')) await sleep(10);
    await send('second');
    // 'second' is fetched (prefetch) and held back behind the busy listener; partition 1 alone goes on polling.
    await sleep(500);
    assert.equal(arrived.has('second'), false);
    release();
    while (!arrived.has('second')) await sleep(1);
    const sent = performance.now();
    await send('third');
    while (!arrived.has('third') && performance.now() - sent < 2 * LONG_POLL_MS) await sleep(5);
    const waited = arrived.get('third')! - sent;
    assert.ok(waited < LONG_POLL_MS / 3, `the record waited ${Math.round(waited)} ms behind the other partition's long poll`);
  });
});
