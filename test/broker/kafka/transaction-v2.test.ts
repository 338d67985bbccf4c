/**
 * Kafka's second transaction protocol (`transaction-v2.ts`): which clusters run it, and transactions on it keeping
 * their records and offsets together from one epoch to the next.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { ConnectionPool, Producer } from '@platformatic/kafka';
import pino from 'pino';
import { createEmbeddedBroker } from '../../../src/broker/embedded/index.ts';
import { resolveSettings } from '../../../src/broker/kafka/options.ts';
import { TransactionalCommitter } from '../../../src/broker/kafka/transactions.ts';
import { usesTransactionV2 } from '../../../src/broker/kafka/transaction-v2.ts';
import { brokerSpecFromConfig } from '../../../src/platform/broker-from-config.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { platformSchema } from '../../../src/config/schema.ts';
import { kafkaSingle } from '../../support/kafka.ts';
import { brokerWithTopics, unique } from './fixtures/broker-with-topics.ts';


/** Whether the cluster at `bootstrap` runs the second protocol, asked as the committer asks. */
async function asks(t: TestContext, bootstrap: string[]): Promise<boolean> {
  const producer = new Producer({ clientId: 'protocol-probe', bootstrapBrokers: bootstrap });
  const pool = new ConnectionPool('protocol-probe', {});
  t.after(async () => {
    await producer.close();
    await pool.close();
  });
  const [host, port] = bootstrap[0].split(':');
  return usesTransactionV2(producer, await pool.get({ host, port: Number(port) }));
}

/** An embedded broker with its Kafka listener, stopped after the test: its bootstrap address. */
async function listenerBootstrap(t: TestContext): Promise<string> {
  const dataDir = await mkdtemp(join(tmpdir(), 'herald-txn-protocol-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const embedded = createEmbeddedBroker({ kind: 'embedded', dataDir, kafkaListener: { listen: '127.0.0.1:0' } });
  t.after(() => embedded.stop());
  await embedded.start();
  const { host, port } = embedded.kafkaListenerAddress()!;
  return `${host}:${port}`;
}

describe('kafka transaction protocol', () => {
  it('a Kafka 4 node runs the second protocol', async (t) => {
    const bootstrap = await kafkaSingle(t);
    if (bootstrap === undefined) return;
    assert.equal(await asks(t, bootstrap), true);
  });

  it("the embedded broker's Kafka listener runs the first", async (t) => {
    assert.equal(await asks(t, [await listenerBootstrap(t)]), false);
  });

  it('asked for the second protocol, a cluster without it refuses with a clear error before any request of it', async (t) => {
    const committer = new TransactionalCommitter(
      resolveSettings({ kind: 'kafka', bootstrap: [await listenerBootstrap(t)], transactions: { protocol: 2 } }),
      { transactionalId: unique('tx'), transactionTimeoutMs: 10_000, group: unique('g') },
      { client: () => assert.fail('no offsets here'), owns: () => true },
      pino({ enabled: false }),
    );
    t.after(() => committer.close());
    await assert.rejects(committer.init(), (err: unknown) =>
      (err as { code?: string }).code === 'HERALD_CONFIG_INVALID' && /transactions\.protocol is 2/.test((err as Error).message));
  });

  it('transactions on the second protocol commit records and offsets together, one epoch after another', async (t) => {
    const opened = await brokerWithTopics(t, { transactions: { protocol: 2 } });
    if (opened === undefined) return;
    const { broker, input, output } = opened;
    const rounds = 5;
    await broker.producer().send(Array.from({ length: rounds }, (_, i) => ({ topic: input, value: Buffer.from(`in-${i}`) })));
    const group = unique('g');
    const consumer = broker.consumer({ group, topics: [input], transactionalId: unique('tx') });
    t.after(() => consumer.close());
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    let handled = 0;
    await consumer.start({
      // One transaction per input record: each one after the first runs on the epoch the last EndTxn answered.
      async onRecords(records) {
        for (const record of records) {
          await consumer.commitTransaction(
            [{ topic: output, value: Buffer.from(`out-${record.value?.toString()}`) }],
            [{ topic: input, partition: 0, offset: record.offset + 1 }],
          );
          if (++handled === rounds) done();
        }
      },
    });
    await finished;
    const info = await broker.admin.describeGroup(group);
    assert.equal(info.offsets.find((o) => o.topic === input)?.committed, rounds);
    let visible: string[] = [];
    for (const deadline = Date.now() + 10_000; visible.length < rounds && Date.now() < deadline; ) {
      visible = (await broker.admin.read({ topic: output, partition: 0, offset: 0 }, 100)).map((r) => r.value!.toString());
    }
    assert.deepEqual(visible, Array.from({ length: rounds }, (_, i) => `out-in-${i}`));
  });

  it('the config key broker.transactions.protocol reaches the Kafka adapter', () => {
    const env = { HERALD_BROKER__URL: 'kafka://127.0.0.1:9092', HERALD_BROKER__TRANSACTIONS__PROTOCOL: '1' };
    const spec = brokerSpecFromConfig(loadConfig(platformSchema, { env }));
    assert.equal(spec.kind === 'kafka' && spec.transactions?.protocol, 1);
  });
});
