/**
 * Herald's own produce requests against the local Kafka node: what the library's producer did for Herald before
 * (acks, idempotence, partial failures) still holds. Records, headers, tombstones and compression are covered by
 * the conformance suite and `interop.test.ts`; a leader killed mid-send by `faults.test.ts`.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import { createKafkaBroker } from '../../../src/broker/kafka/index.ts';
import type { KafkaBrokerSpec } from '../../../src/broker/kafka/options.ts';
import type { Broker, BrokerRecord } from '../../../src/broker/port.ts';
import { isHeraldError } from '../../../src/errors.ts';
import { createEmbeddedBroker } from '../../../src/broker/embedded/index.ts';
import { kafkaSingle } from '../../support/kafka.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const unique = (prefix: string) => `herald-${prefix}-${process.pid}-${randomBytes(4).toString('hex')}`;

async function open(t: TestContext, producer?: KafkaBrokerSpec['producer']): Promise<Broker | undefined> {
  const bootstrap = await kafkaSingle(t);
  if (bootstrap === undefined) return undefined;
  const broker = createKafkaBroker({ kind: 'kafka', bootstrap, producer });
  t.after(() => broker.stop());
  await broker.start();
  return broker;
}

async function topic(t: TestContext, broker: Broker, partitions: number, configs?: Record<string, string>): Promise<string> {
  const name = unique('produce');
  await broker.admin.createTopic({ name, partitions, configs });
  t.after(() => broker.admin.deleteTopic(name).catch(() => {}));
  return name;
}

async function values(broker: Broker, name: string, partition: number): Promise<string[]> {
  const records = await broker.admin.read({ topic: name, partition, offset: 0 }, 100);
  return records.map((r) => r.value?.toString() ?? '');
}

describe('Kafka produce requests', () => {
  it('acks leader writes and reports offsets; acks none writes and reports -1', async (t) => {
    const leader = await open(t, { acks: 'leader' });
    const none = await open(t, { acks: 'none' });
    if (leader === undefined || none === undefined) return;
    // One topic for both: acks none has no answer to say a partition just created was not ready yet (the broker
    // drops such a write), so it writes only once acks leader has written to both partitions.
    const name = await topic(t, leader, 2);
    const send = (broker: Broker, values: [number, string][]) =>
      broker.producer().send(values.map(([partition, value]) => ({ topic: name, partition, value: Buffer.from(value) })));
    const acked = await send(leader, [[0, 'a'], [1, 'b'], [0, 'c']]);
    assert.deepEqual(acked.map((p) => [p.partition, p.offset]), [[0, 0], [1, 0], [0, 1]]);
    const unacked = await send(none, [[0, 'd'], [1, 'e'], [0, 'f']]);
    assert.deepEqual(unacked.map((p) => [p.partition, p.offset]), [[0, -1], [1, -1], [0, -1]]);
    // Nothing says when acks none's records land.
    const landed = async () => (await values(leader, name, 0)).length >= 4 && (await values(leader, name, 1)).length >= 2;
    for (let i = 0; i < 50 && !(await landed()); i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(await values(leader, name, 0), ['a', 'c', 'd', 'f']);
    assert.deepEqual(await values(leader, name, 1), ['b', 'e']);
  });

  it('a partition refused for good fails the send, the others of the request are written, and the next send works', async (t) => {
    const broker = await open(t);
    if (broker === undefined) return;
    const roomy = await topic(t, broker, 1);
    const tight = await topic(t, broker, 1, { 'max.message.bytes': '1024' });
    const producer = broker.producer();
    await producer.send([{ topic: tight, value: Buffer.from('fits') }]);
    await assert.rejects(
      producer.send([
        { topic: roomy, value: Buffer.from('first') },
        { topic: tight, value: Buffer.from('x'.repeat(4000)) },
      ]),
      (err: unknown) => isHeraldError(err, 'HERALD_PAYLOAD_TOO_LARGE'),
    );
    assert.deepEqual(await values(broker, roomy, 0), ['first']);
    // The refused batch used up a sequence number the broker never saw: the producer starts over with a new id,
    // or Kafka would refuse this send as out of order.
    const positions = await producer.send([
      { topic: roomy, value: Buffer.from('second') },
      { topic: tight, value: Buffer.from('fits again') },
    ]);
    assert.deepEqual(positions.map((p) => p.offset), [1, 1]);
    assert.deepEqual(await values(broker, tight, 0), ['fits', 'fits again']);
  });

  it('many sends in a row keep each partition in order (one request in flight, consecutive sequence numbers)', async (t) => {
    const broker = await open(t);
    if (broker === undefined) return;
    const name = await topic(t, broker, 3);
    const producer = broker.producer();
    const sends = Array.from({ length: 200 }, (_, i) =>
      producer.send([{ topic: name, key: Buffer.from(`key-${i % 7}`), value: Buffer.from(String(i)) }]),
    );
    const positions = (await Promise.all(sends)).flat();
    for (let partition = 0; partition < 3; partition++) {
      const written = positions.filter((p) => p.partition === partition).map((p) => p.offset);
      assert.deepEqual(written, written.map((_, i) => i), `partition ${partition}: offsets in call order`);
      const read: BrokerRecord[] = await broker.admin.read({ topic: name, partition, offset: 0 }, 500);
      const inOrder = read.map((r) => Number(r.value!.toString()));
      assert.deepEqual(inOrder, [...inOrder].sort((a, b) => a - b));
    }
  });

  it('a broker gone for good fails a send with HERALD_BROKER_UNAVAILABLE once the retry budget (~10 s) is spent', async (t) => {
    // A Kafka broker this test can stop: the embedded broker's Kafka listener.
    const dataDir = await mkdtemp(join(tmpdir(), 'herald-produce-gone-'));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    const embedded = createEmbeddedBroker({ kind: 'embedded', dataDir, kafkaListener: { listen: '127.0.0.1:0' } });
    await embedded.start();
    const { host, port } = embedded.kafkaListenerAddress()!;
    const broker = createKafkaBroker({ kind: 'kafka', bootstrap: [`${host}:${port}`] });
    t.after(() => broker.stop().catch(() => {}));
    await broker.start();
    await broker.admin.createTopic({ name: 'gone', partitions: 1 });
    const producer = broker.producer();
    assert.deepEqual((await producer.send([{ topic: 'gone', value: Buffer.from('before') }])).map((p) => p.offset), [0]);
    await embedded.stop();
    const started = Date.now();
    await assert.rejects(producer.send([{ topic: 'gone', value: Buffer.from('after') }]), (err: unknown) =>
      isHeraldError(err, 'HERALD_BROKER_UNAVAILABLE'),
    );
    const took = Date.now() - started;
    assert.ok(took >= 5_000 && took < 20_000, `gave up after ${took} ms`);
  });
});
