import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { BrokerAdminApi } from '../../src/admin/broker-admin.ts';
import { collectPage, jsonBytes, readMessages } from '../../src/admin/pages.ts';
import { formatCursor, parseCursor, parseStart } from '../../src/admin/positions.ts';
import type { RecordView } from '../../src/admin/records.ts';
import type { Broker } from '../../src/broker/port.ts';
import { partitionForKey } from '../../src/broker/partitioner.ts';
import { isHeraldError } from '../../src/errors.ts';
import { startTestBroker } from '../../src/testing/broker.ts';

async function embedded(t: TestContext): Promise<Broker> {
  const broker = await startTestBroker();
  t.after(() => broker.stop());
  return broker;
}

/** Three partitions; record `n` stamped at `1000 + n` on partition `n % 3`, so merged order is n's order. */
async function interleaved(broker: Broker, topic: string, count: number): Promise<void> {
  await broker.admin.createTopic({ name: topic, partitions: 3 });
  const producer = broker.producer();
  await producer.send(
    Array.from({ length: count }, (_, n) => ({
      topic,
      partition: n % 3,
      value: Buffer.from(`v${n}`),
      timestamp: 1_000 + n,
    })),
  );
  await producer.close();
}

const values = (records: RecordView[]) => records.map((r) => r.value);

describe('admin reads: every partition, merged by time, with a cursor', () => {
  it('reads all partitions without a partition, in timestamp order, and continues from the cursor', async (t) => {
    const broker = await embedded(t);
    await interleaved(broker, 'mixed', 10);
    const first = await readMessages(broker.admin, { topic: 'mixed', limit: 4 });
    assert.deepEqual(values(first.records), ['v0', 'v1', 'v2', 'v3']);
    assert.equal(first.next, '0:2,1:1,2:1');
    assert.equal(first.more, true);
    assert.equal(first.limitedBy, 'limit');
    const second = await readMessages(broker.admin, { topic: 'mixed', cursor: parseCursor(first.next) });
    assert.deepEqual(values(second.records), ['v4', 'v5', 'v6', 'v7', 'v8', 'v9']);
    assert.equal(second.more, false);
    assert.equal(second.limitedBy, undefined);
    assert.equal(second.next, '0:4,1:3,2:3');
    const after = await readMessages(broker.admin, { topic: 'mixed', cursor: parseCursor(second.next) });
    assert.deepEqual(after.records, [], 'nothing new');
    assert.equal(after.next, second.next, 'the cursor stays for a later look');
  });

  it('finds a keyed record whatever partition it went to (the README first read)', async (t) => {
    const broker = await embedded(t);
    const admin = new BrokerAdminApi(broker);
    t.after(() => admin.close());
    await admin.createTopic({ name: 'orders', partitions: 3 });
    const [position] = await admin.produce([{ topic: 'orders', key: Buffer.from('customer-7'), value: Buffer.from('hello') }]);
    assert.equal(position.partition, partitionForKey(Buffer.from('customer-7'), 3));
    const page = await admin.read({ topic: 'orders' });
    assert.deepEqual(values(page.records), ['hello']);
  });

  it('starts at beginning, end, an offset, N before the end, or a time, in every partition', async (t) => {
    const broker = await embedded(t);
    await interleaved(broker, 'starts', 9); // each partition holds offsets 0..2
    const read = async (spec: string, partition?: number) =>
      values((await readMessages(broker.admin, { topic: 'starts', partition, start: parseStart(spec) })).records);
    assert.deepEqual(await read('beginning'), ['v0', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v8']);
    assert.deepEqual(await read('end'), []);
    assert.deepEqual(await read('2'), ['v6', 'v7', 'v8']);
    assert.deepEqual(await read('99'), [], 'past the end is the end');
    assert.deepEqual(await read('-1'), ['v6', 'v7', 'v8']);
    assert.deepEqual(await read('-1', 1), ['v7']);
    assert.deepEqual(await read('-100', 2), ['v2', 'v5', 'v8'], 'not before the beginning');
    assert.deepEqual(await read('@1004'), ['v4', 'v5', 'v6', 'v7', 'v8'], 'the first record at or after the time');
    assert.deepEqual(await read(`@${new Date(1_007).toISOString()}`), ['v7', 'v8']);
    assert.deepEqual(await read('@999999'), []);
    for (const bad of ['soon', '-x', '@never', '1.5']) {
      assert.throws(() => parseStart(bad), (err) => isHeraldError(err, 'HERALD_VALIDATION_FAILED'), bad);
    }
  });

  it('refuses cursors that are not cursors, and partitions the topic lacks', async (t) => {
    const broker = await embedded(t);
    await interleaved(broker, 'cursors', 3);
    for (const bad of ['', '0', '0:1,0:2', 'a:b', '0:1;1:2']) {
      assert.throws(() => parseCursor(bad), (err) => isHeraldError(err, 'HERALD_VALIDATION_FAILED'), bad);
    }
    assert.equal(formatCursor(parseCursor('2:5,0:1')), '0:1,2:5');
    await assert.rejects(
      readMessages(broker.admin, { topic: 'cursors', cursor: parseCursor('7:0') }),
      (err) => isHeraldError(err, 'HERALD_PARTITION_OUT_OF_RANGE'),
    );
    await assert.rejects(
      readMessages(broker.admin, { topic: 'cursors', partition: 3 }),
      (err) => isHeraldError(err, 'HERALD_PARTITION_OUT_OF_RANGE'),
    );
  });
});

describe('admin reads: a response byte budget', () => {
  it('stops before the budget, says where to go on, and loses nothing across pages', async (t) => {
    const broker = await embedded(t);
    await broker.admin.createTopic({ name: 'big', partitions: 2 });
    const producer = broker.producer();
    const big = (n: number) => Buffer.alloc(300_000, 97 + n);
    await producer.send(Array.from({ length: 10 }, (_, n) => ({ topic: 'big', partition: n % 2, value: big(n), timestamp: 1_000 + n })));
    await producer.close();
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; ; pages++) {
      assert.ok(pages < 10, 'pages make progress');
      const page = await readMessages(broker.admin, {
        topic: 'big',
        limit: 1000,
        maxBytes: 1_000_000,
        cursor: cursor === undefined ? undefined : parseCursor(cursor),
      });
      assert.ok(jsonBytes(page) <= 1_000_000 + 1_000, `a page of ${jsonBytes(page)} bytes`);
      seen.push(...page.records.map((r) => r.value![0]));
      cursor = page.next;
      if (!page.more) break;
      assert.equal(page.limitedBy, 'bytes');
      assert.equal(page.records.length, 3);
    }
    assert.deepEqual(seen.join(''), 'abcdefghij');
  });

  it('gives a record larger than the budget alone, so a read always moves on', async (t) => {
    const broker = await embedded(t);
    await broker.admin.createTopic({ name: 'huge', partitions: 1 });
    const producer = broker.producer();
    await producer.send([
      { topic: 'huge', value: Buffer.alloc(50_000, 120) },
      { topic: 'huge', value: Buffer.from('small') },
    ]);
    await producer.close();
    const first = await readMessages(broker.admin, { topic: 'huge', maxBytes: 1_024 });
    assert.equal(first.records.length, 1);
    assert.equal(first.limitedBy, 'bytes');
    const second = await readMessages(broker.admin, { topic: 'huge', maxBytes: 1_024, cursor: parseCursor(first.next) });
    assert.deepEqual(values(second.records), ['small']);
    await assert.rejects(
      readMessages(broker.admin, { topic: 'huge', maxBytes: 10 }),
      (err) => isHeraldError(err, 'HERALD_VALIDATION_FAILED'),
    );
  });

  it('a filter that matches little stops after a bounded scan and says where to continue', async (t) => {
    const broker = await embedded(t);
    await broker.admin.createTopic({ name: 'sparse', partitions: 1 });
    const producer = broker.producer();
    const batch = Array.from({ length: 5_000 }, () => ({ topic: 'sparse', value: Buffer.from('x') }));
    for (let i = 0; i < 11; i++) await producer.send(batch);
    await producer.close();
    const page = await collectPage(broker.admin, { topic: 'sparse' }, () => undefined);
    assert.deepEqual(page.items, []);
    assert.equal(page.more, true);
    assert.equal(page.limitedBy, 'scanned');
    const rest = await collectPage(broker.admin, { topic: 'sparse', cursor: parseCursor(page.next) }, () => undefined);
    assert.equal(rest.more, false, 'the second page reads the rest');
  });
});
