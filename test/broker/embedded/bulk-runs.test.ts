/**
 * Runs of records Herald's own producers give one by one (batch ingest's hundreds a partition) are encoded before
 * the write and kept in the bulk files when large, as Kafka producers' large batches are.
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { BULK_MIN_BYTES, POINTER_BYTES } from '../../../src/broker/embedded/bulk-store.ts';
import { decodeBatches } from '../../../src/broker/embedded/kafka-protocol/records/batch.ts';
import { Notifier } from '../../../src/broker/embedded/notifier.ts';
import { CommittedOffsets } from '../../../src/broker/embedded/offsets.ts';
import { OpenTransaction } from '../../../src/broker/embedded/open-transaction.ts';
import { prepareRecords } from '../../../src/broker/embedded/producer.ts';
import { Store } from '../../../src/broker/embedded/store.ts';
import { TopicRegistry } from '../../../src/broker/embedded/topics.ts';
import { Writer } from '../../../src/broker/embedded/writer.ts';
import type { OutgoingRecord } from '../../../src/broker/port.ts';
import { tempDir, uniqueName } from './helpers.ts';
import { fetchBody } from './kafka-protocol/batches.ts';
import { stored, values } from './kafka-protocol/bulk-files.ts';
import { listening } from './kafka-protocol/helpers.ts';
import { ApiKey } from './kafka-protocol/raw-client.ts';

/** `count` records for partition 0 of `topic`, `<tag>-<i>` padded to 1,000 bytes, with a header (70 fill 64 KiB). */
function outgoing(topic: string, tag: string, count: number): OutgoingRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    topic,
    partition: 0,
    key: Buffer.from(`${tag}-${i}`),
    value: Buffer.from(`${tag}-${i}-`.padEnd(1_000, 'x')),
    headers: { n: String(i) },
  }));
}

const expect = (tag: string, from: number, count: number) => Array.from({ length: count }, (_, i) => `${from + i}:${tag}-${i}`);

async function writerOn(t: TestContext) {
  const dataDir = tempDir(t);
  const store = new Store(dataDir, { durability: 'os', cacheSizeKiB: 1024 });
  const topics = new TopicRegistry(store);
  const writer = new Writer(store, new Notifier(), new CommittedOffsets(store));
  let open = true;
  /** Closes the store (which holds its database to itself), so that the test can read it. */
  const close = async () => {
    if (!open) return;
    open = false;
    await writer.close();
    store.close();
  };
  t.after(close);
  return { dataDir, topics, writer, close };
}

describe('embedded log: large runs of records in bulk files', () => {
  it('a large send is kept there, read back by Herald and fetched by Kafka clients with its CRC, after a restart', async (t) => {
    const dataDir = tempDir(t);
    const first = await listening(t, { dataDir });
    const topic = uniqueName('runs');
    await first.broker.admin.createTopic({ name: topic, partitions: 1 });
    const producer = first.broker.producer();
    await producer.send(outgoing(topic, 'large', 100));
    await producer.send(outgoing(topic, 'small', 3));
    // Sends of one turn share a write: two together make one run large enough.
    await Promise.all([producer.send(outgoing(topic, 'a', 40)), producer.send(outgoing(topic, 'b', 40))]);
    const expected = [...expect('large', 0, 100), ...expect('small', 100, 3), ...expect('a', 103, 40), ...expect('b', 143, 40)];
    assert.deepEqual(await values(first.broker, topic), expected);
    await first.broker.stop();

    const { rows, bulk } = stored(dataDir, 1);
    assert.deepEqual(
      rows.map(([last, n]) => [last, n === POINTER_BYTES]),
      [
        [99, true],
        [102, false],
        [182, true],
      ],
    );
    assert.deepEqual(bulk, [99, 182]);

    const again = await listening(t, { dataDir });
    assert.deepEqual(await values(again.broker, topic), expected, 'read from the files, not from memory');
    const read = await again.broker.admin.read({ topic, partition: 0, offset: 150 }, 1);
    assert.deepEqual([read[0].key?.toString(), read[0].headers], ['b-7', { n: '7' }]);
    const reader = await again.connect();
    const answer = await reader.request(ApiKey.Fetch, 12, fetchBody(topic, 0, 0));
    // decodeBatches checks each batch's CRC.
    const batches = decodeBatches(answer.responses[0].partitions[0].records, 1 << 22);
    assert.deepEqual(
      batches.map((b) => [b.baseOffset, b.records.length]),
      [
        [0, 100],
        [100, 3],
        [103, 80],
      ],
    );
    assert.equal(Buffer.from(batches[2].records[79].value!).toString().replace(/-x+$/, ''), 'b-39');
  });

  it("runs of a transaction held open, of compacted topics and small ones stay in herald.db's rows", async (t) => {
    const { dataDir, topics, writer, close } = await writerOn(t);
    await topics.create({ name: 'normal', partitions: 1 });
    await topics.create({ name: 'compacted', partitions: 1, compacted: true });
    const prepare = (topic: string, tag: string, count: number) => prepareRecords(topics, outgoing(topic, tag, count));
    const large = prepare('normal', 'l', 70);
    assert.ok(large.reduce((sum, r) => sum + r.size, 0) >= BULK_MIN_BYTES);
    assert.ok(prepare('normal', 's', 65).reduce((sum, r) => sum + r.size, 0) < BULK_MIN_BYTES);
    await writer.append(prepare('normal', 's', 65));
    await writer.append(prepare('normal', 'open', 200), new OpenTransaction(1));
    await writer.append(large);
    await writer.append(prepare('compacted', 'c', 200));
    const ids = [topics.log('normal', 0).id, topics.log('compacted', 0).id];
    await close();
    const normal = stored(dataDir, ids[0]).rows;
    assert.deepEqual(
      normal.map(([last, n]) => [last, n === POINTER_BYTES]),
      [
        [64, false],
        [264, false],
        [334, true],
      ],
    );
    assert.ok(stored(dataDir, ids[1]).rows.every(([, n]) => n !== POINTER_BYTES));
  });
});
