import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { Notifier } from '../../../src/broker/embedded/notifier.ts';
import { CommittedOffsets } from '../../../src/broker/embedded/offsets.ts';
import { prepareRecords } from '../../../src/broker/embedded/producer.ts';
import { Store } from '../../../src/broker/embedded/store.ts';
import { TopicRegistry } from '../../../src/broker/embedded/topics.ts';
import { Writer } from '../../../src/broker/embedded/writer.ts';
import { tempDir } from './helpers.ts';

/** A writer over a fresh store whose log syncs are held until the test releases (or fails) them. */
async function open(t: TestContext, durability: 'fsync' | 'os') {
  const store = new Store(tempDir(t), { durability, cacheSizeKiB: 1024 });
  const syncs: { release(): void; fail(err: Error): void }[] = [];
  const real = store.syncLog.bind(store);
  let closing = false;
  store.syncLog = () =>
    closing
      ? real()
      : new Promise<void>((resolve, reject) => {
          syncs.push({ release: () => void real().then(resolve, reject), fail: reject });
        });
  const topics = new TopicRegistry(store);
  await topics.create({ name: 't', partitions: 1 });
  const writer = new Writer(store, new Notifier(), new CommittedOffsets(store));
  t.after(async () => {
    closing = true;
    for (const sync of syncs) sync.release();
    await writer.close();
    store.close();
  });
  const send = (value: string) => {
    const settled = { done: false };
    const sent = writer.append(prepareRecords(topics, [{ topic: 't', value: Buffer.from(value) }]));
    void sent.then(
      () => (settled.done = true),
      () => (settled.done = true),
    );
    return { sent, settled };
  };
  return { writer, syncs, send, store };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('embedded writer: durability', () => {
  it("'fsync': requests made in several turns while a sync runs are written in one commit when it ends", async (t) => {
    const { syncs, send, store } = await open(t, 'fsync');
    let commits = 0;
    const transaction = store.transaction.bind(store);
    store.transaction = (fn, durable) => {
      commits++;
      return transaction(fn, durable);
    };
    const first = send('a');
    await turn();
    assert.equal(commits, 1);
    const held = [send('b')];
    await turn();
    held.push(send('c'));
    await turn();
    held.push(send('d'));
    await turn();
    assert.equal(commits, 1, 'nothing written while the sync runs');
    syncs[0].release();
    await first.sent;
    await turn();
    assert.equal(commits, 2, 'the three waiting requests in one commit');
    assert.equal(syncs.length, 2, 'and one sync for them');
    syncs[1].release();
    assert.deepEqual((await Promise.all(held.map((h) => h.sent))).map(([p]) => p.offset), [1, 2, 3]);
  });

  it("'fsync': a send resolves after the log sync that follows its commit; commits meanwhile wait for the next", async (t) => {
    const { syncs, send } = await open(t, 'fsync');
    const first = send('a');
    await turn();
    assert.equal(syncs.length, 1, 'the commit started a sync');
    await turn();
    assert.equal(first.settled.done, false, 'resolved before the log was synced');
    const second = send('b');
    await turn();
    assert.equal(syncs.length, 1, 'a second sync started while one was running');
    syncs[0].release();
    assert.deepEqual((await first.sent).map((p) => p.offset), [0]);
    await turn();
    assert.equal(syncs.length, 2, 'the waiting commit got its own sync');
    assert.equal(second.settled.done, false);
    syncs[1].release();
    assert.deepEqual((await second.sent).map((p) => p.offset), [1]);
  });

  it("'fsync': a failed sync rejects what it covered; later sends go on", async (t) => {
    const { syncs, send } = await open(t, 'fsync');
    const lost = send('a');
    await turn();
    syncs[0].fail(new Error('EIO'));
    await assert.rejects(lost.sent, /EIO/);
    const later = send('b');
    await turn();
    syncs[1].release();
    assert.deepEqual((await later.sent).map((p) => p.offset), [1]);
  });

  it("'os': a send resolves at its commit, with no sync", async (t) => {
    const { syncs, send } = await open(t, 'os');
    assert.deepEqual((await send('a').sent).map((p) => p.offset), [0]);
    assert.equal(syncs.length, 0);
  });

  it('close waits for the sync in flight', async (t) => {
    const { writer, syncs, send } = await open(t, 'fsync');
    const pending = send('a');
    await turn();
    let closed = false;
    const closing = writer.close().then(() => (closed = true));
    await turn();
    assert.equal(closed, false);
    syncs[0].release();
    await closing;
    assert.equal(pending.settled.done, true);
  });
});
