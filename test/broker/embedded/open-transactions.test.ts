/**
 * Transactions held open across writes, at the level of the log: the last stable offset every reader stops at,
 * the writer's commit and abort, and the abort at start-up of what a crash left open.
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { abortOpenTransactions } from '../../../src/broker/embedded/abort-open-transactions.ts';
import { Notifier } from '../../../src/broker/embedded/notifier.ts';
import { CommittedOffsets } from '../../../src/broker/embedded/offsets.ts';
import { OpenTransaction } from '../../../src/broker/embedded/open-transaction.ts';
import { PartitionFetcher } from '../../../src/broker/embedded/partition-fetcher.ts';
import { prepareRecords } from '../../../src/broker/embedded/producer.ts';
import { Store } from '../../../src/broker/embedded/store.ts';
import { TopicRegistry } from '../../../src/broker/embedded/topics.ts';
import { Writer } from '../../../src/broker/embedded/writer.ts';
import { tempDir, waitFor } from './helpers.ts';

function open(dir: string) {
  const store = new Store(dir, { durability: 'os', cacheSizeKiB: 1024 });
  const topics = new TopicRegistry(store);
  const notifier = new Notifier();
  const offsets = new CommittedOffsets(store);
  const writer = new Writer(store, notifier, offsets);
  const records = (...values: string[]) =>
    prepareRecords(topics, values.map((v) => ({ topic: 't', partition: 0, value: Buffer.from(v) })));
  const values = (upTo?: number) => {
    const log = topics.log('t', 0);
    return log.read(0, 100, upTo ?? log.next).map((row) => `${row[0]}:${Buffer.from(row[3]!).toString()}`);
  };
  return { store, topics, notifier, offsets, writer, records, values };
}

async function fresh(t: TestContext) {
  const dir = tempDir(t);
  const parts = open(dir);
  await parts.topics.create({ name: 't', partitions: 1 });
  return { dir, ...parts };
}

describe('embedded broker: open transactions', () => {
  it('readers stop at the first record of the oldest open transaction; commit moves the stable end and wakes them', async (t) => {
    const { store, topics, notifier, offsets, writer, records, values } = await fresh(t);
    t.after(async () => {
      await writer.close();
      store.close();
    });
    const log = topics.log('t', 0);
    const older = new OpenTransaction(1);
    const newer = new OpenTransaction(2);
    await writer.append(records('a'));
    assert.deepEqual((await writer.append(records('x0', 'x1'), older)).map((p) => p.offset), [1, 2]);
    await writer.append(records('b'));
    await writer.append(records('y0'), newer);
    assert.deepEqual([log.next, log.end], [1, 5]);
    assert.deepEqual(values(), ['0:a']);
    assert.deepEqual(values(log.end), ['0:a', '1:x0', '2:x1', '3:b', '4:y0']);
    assert.deepEqual(older.ranges.get(log), [[1, 2]]);

    const seen: string[] = [];
    const fetcher = new PartitionFetcher(log, 0, notifier, 100, async (batch) => {
      seen.push(...batch.map((r) => String(r.value)));
    }, (err) => assert.fail(String(err)));
    fetcher.start();
    t.after(() => fetcher.stop());
    await waitFor(() => seen.length === 1, 'the visible record');

    // The newer transaction commits first: the stable end stays at the older one's first record.
    await writer.endTransaction(newer, true, []);
    assert.equal(log.next, 1);
    const group = 'g';
    await writer.endTransaction(older, true, [{ group, log, offset: 9 }]);
    assert.deepEqual([log.next, log.end], [5, 5]);
    assert.equal(offsets.get(group, log.id), 9, 'offsets commit with the transaction');
    await waitFor(() => seen.length === 5, 'the committed records, woken by the commit');
    assert.deepEqual(seen, ['a', 'x0', 'x1', 'b', 'y0']);
    assert.deepEqual(store.loadOpenRanges(), []);
  });

  it('an abort removes the records and their bytes; its offsets are not committed', async (t) => {
    const { store, topics, offsets, writer, records, values } = await fresh(t);
    t.after(async () => {
      await writer.close();
      store.close();
    });
    const log = topics.log('t', 0);
    const transaction = new OpenTransaction(7);
    await writer.append(records('keep'));
    await writer.append(records('drop0'), transaction);
    await writer.append(records('keep2'));
    await writer.append(records('drop1'), transaction);
    assert.deepEqual(transaction.ranges.get(log), [[1, 1], [3, 3]]);
    await writer.endTransaction(transaction, false, [{ group: 'g', log, offset: 3 }]);
    assert.deepEqual(values(log.end), ['0:keep', '2:keep2']);
    assert.deepEqual([log.next, log.end, log.bytes], [4, 4, 'keep'.length + 'keep2'.length]);
    assert.equal(offsets.get('g', log.id), null);
    assert.deepEqual(store.loadOpenRanges(), []);
    assert.equal(log.logStart(), 0, 'a gap is not a new log start');
  });

  it('what a crash left open is aborted at the next start, before anyone reads', async (t) => {
    const { dir, store, writer, records, values } = await fresh(t);
    await writer.append(records('committed'));
    await writer.append(records('open0', 'open1'), new OpenTransaction(3));
    await writer.append(records('after'));
    assert.deepEqual(values(), ['0:committed']);
    // No EndTxn, no stop of the listener: the process dies here.
    await writer.close();
    store.close();

    const reopened = open(dir);
    t.after(async () => {
      await reopened.writer.close();
      reopened.store.close();
    });
    const log = reopened.topics.log('t', 0);
    assert.equal(abortOpenTransactions(reopened.store, reopened.topics), 1);
    assert.deepEqual(reopened.values(log.end), ['0:committed', '3:after']);
    assert.deepEqual([log.next, log.end, log.bytes], [4, 4, 'committed'.length + 'after'.length]);
    assert.deepEqual(reopened.store.loadOpenRanges(), []);
    assert.equal(abortOpenTransactions(reopened.store, reopened.topics), 0);
  });
});
