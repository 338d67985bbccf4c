import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { BrokerAdminApi } from '../../src/admin/broker-admin.ts';
import { recordView, toMessageInput, toOutgoingRecord } from '../../src/admin/records.ts';
import type { Broker } from '../../src/broker/port.ts';
import { isHeraldError } from '../../src/errors.ts';
import { startTestBroker } from '../../src/testing/broker.ts';
import { deadLetterTopicName } from '../../src/runtime/names.ts';

async function embedded(t: TestContext): Promise<Broker> {
  const broker = await startTestBroker();
  t.after(() => broker.stop());
  return broker;
}

describe('admin core over a broker', () => {
  it('creates, lists, produces, reads and deletes', async (t) => {
    const admin = new BrokerAdminApi(await embedded(t));
    t.after(() => admin.close());
    const created = await admin.createTopic({ name: 'b-orders', partitions: 2 });
    assert.deepEqual(
      created.partitions.map((p) => p.latest),
      [0, 0],
    );
    await admin.createTopic({ name: 'a-orders', partitions: 1 });
    assert.deepEqual(
      (await admin.listTopics()).map((t) => t.name),
      ['a-orders', 'b-orders'],
    );
    const positions = await admin.produce([
      toOutgoingRecord('b-orders', { key: 'k', value: 'hello', partition: 1, headers: { h: 'v' } }),
      toOutgoingRecord('b-orders', { value: { json: true }, partition: 1 }),
      toOutgoingRecord('b-orders', { value: Buffer.from([0xff, 0xfe]).toString('base64'), encoding: 'base64', partition: 1 }),
    ]);
    assert.deepEqual(positions, [
      { partition: 1, offset: 0 },
      { partition: 1, offset: 1 },
      { partition: 1, offset: 2 },
    ]);
    const { records: read } = await admin.read({ topic: 'b-orders', partition: 1 });
    assert.deepEqual(
      read.map((r) => [r.key, r.value, r.encoding]),
      [
        ['k', 'hello', undefined],
        [null, '{"json":true}', undefined],
        [null, '//4=', 'base64'],
      ],
    );
    assert.equal(read[0].headers.h, 'v');
    await admin.deleteTopic('a-orders');
    await assert.rejects(admin.describeTopic('a-orders'), (err) => isHeraldError(err, 'HERALD_TOPIC_NOT_FOUND'));
  });

  it('lists dead-letter topics with their sizes, and no others', async (t) => {
    const broker = await embedded(t);
    const admin = new BrokerAdminApi(broker);
    t.after(() => admin.close());
    const dlq = deadLetterTopicName('orders', 'email');
    await admin.createTopic({ name: dlq, partitions: 1 });
    await admin.createTopic({ name: 'orders', partitions: 1 });
    await admin.produce([{ topic: dlq, value: Buffer.from('x') }]);
    assert.deepEqual(await admin.deadLetterTopics(), [{ topic: dlq, records: 1 }]);
    assert.deepEqual(
      (await admin.deadLetters(dlq, {})).deadLetters,
      [],
      'a record without the envelope is not a dead letter',
    );
  });

  it('stops the broker on close only when it owns it', async (t) => {
    const broker = await embedded(t);
    await new BrokerAdminApi(broker).close();
    await broker.ping();
    await new BrokerAdminApi(broker, { stopBroker: true }).close();
    await assert.rejects(broker.ping(), (err) => isHeraldError(err, 'HERALD_BROKER_UNAVAILABLE'));
  });
});

describe('admin core: messages as operators write them', () => {
  it('round-trips a record through its base64 message form', () => {
    const record = { topic: 't', key: Buffer.from('k'), value: Buffer.from([0, 1, 2]), headers: { a: 'b' }, partition: 3, timestamp: 9 };
    const back = toOutgoingRecord('t', toMessageInput(record));
    assert.deepEqual(back, record);
    const view = recordView({ ...record, key: record.key, offset: 0, headers: record.headers, timestamp: 9 });
    assert.equal(view.encoding, undefined, 'UTF-8-valid bytes stay text');
  });

  it('takes base64 padded or not, and refuses what is not base64 instead of dropping characters', () => {
    for (const [text, bytes] of [
      ['aGVsbG8=', 'hello'],
      ['aGVsbG8', 'hello'],
      ['aGk=', 'hi'],
      ['', ''],
    ]) {
      assert.equal(toOutgoingRecord('t', { value: text, encoding: 'base64' }).value?.toString(), bytes);
    }
    for (const bad of ['a$b!!', 'aGVsbG8==x', 'a', 'aGVs bG8=']) {
      assert.throws(
        () => toOutgoingRecord('t', { value: bad, encoding: 'base64' }),
        (e) => isHeraldError(e, 'HERALD_VALIDATION_FAILED') && /value is not valid base64/.test(e.message),
        bad,
      );
    }
    assert.throws(() => toOutgoingRecord('t', { key: 'k!', value: 'aGk=', encoding: 'base64' }), /key is not valid base64/);
  });
});
