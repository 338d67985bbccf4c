import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BrokerRecord } from '../../src/broker/port.ts';
import type { LogTail } from '../../src/processor/log-tail.ts';
import { restorePartition, type RestoreState } from '../../src/processor/restore.ts';
import { MemoryStore } from '../../src/state/memory-store.ts';

/** A changelog partition in memory: offsets may have gaps (compaction, transaction markers). */
function fakeTail(records: { offset: number; key: string; value: string | null }[], earliest = 0, end?: number): LogTail {
  const last = records.length === 0 ? earliest : records[records.length - 1].offset + 1;
  return {
    bounds: async () => ({ earliest, end: end ?? last }),
    read: async (topic, partition, offset, limit) =>
      records
        .filter((r) => r.offset >= Math.max(offset, earliest))
        .slice(0, limit)
        .map(
          (r): BrokerRecord => ({
            topic,
            partition,
            offset: r.offset,
            key: Buffer.from(r.key),
            value: r.value === null ? null : Buffer.from(r.value),
            headers: {},
            timestamp: 0,
          }),
        ),
  };
}

const text = (store: MemoryStore, key: string) => store.get(0, key)?.toString();

describe('restorePartition', () => {
  it('cold: no checkpoint — replays everything, in batches, to the end past trailing markers', async () => {
    const store = new MemoryStore();
    const progress: RestoreState[] = [];
    const tail = fakeTail(
      [
        { offset: 0, key: 'a', value: '1' },
        { offset: 2, key: 'b', value: '2' },
        { offset: 3, key: 'a', value: null },
        { offset: 5, key: 'c', value: '3' },
      ],
      0,
      7, // offsets 6 (a commit marker) have no visible record
    );
    const state = await restorePartition({
      store,
      tail,
      topic: 't',
      partition: 0,
      batchSize: 2,
      onProgress: (s) => progress.push({ ...s }),
    });
    assert.equal(state.mode, 'cold');
    assert.equal(state.position, 7);
    assert.equal(state.records, 4);
    assert.equal(store.checkpoint(0), 7);
    assert.equal(text(store, 'a'), undefined);
    assert.equal(text(store, 'b'), '2');
    assert.ok(progress.length >= 3, 'progress after each batch');
    assert.ok(state.finishedAt !== undefined);
  });

  it('warm: from the checkpoint only', async () => {
    const store = new MemoryStore();
    store.apply({ changes: [{ partition: 0, key: 'a', value: Buffer.from('old') }], checkpoints: new Map([[0, 2]]) });
    const tail = fakeTail([
      { offset: 0, key: 'a', value: 'never read' },
      { offset: 1, key: 'z', value: 'never read' },
      { offset: 2, key: 'b', value: 'new' },
    ]);
    const state = await restorePartition({ store, tail, topic: 't', partition: 0 });
    assert.equal(state.mode, 'warm');
    assert.equal(state.records, 1);
    assert.equal(text(store, 'a'), 'old');
    assert.equal(text(store, 'z'), undefined);
    assert.equal(text(store, 'b'), 'new');
  });

  it('rebuilds when the checkpoint is past the end (changelog recreated) — never trusts the local data', async () => {
    const store = new MemoryStore();
    store.apply({ changes: [{ partition: 0, key: 'ghost', value: Buffer.from('x') }], checkpoints: new Map([[0, 50]]) });
    const state = await restorePartition({ store, tail: fakeTail([{ offset: 0, key: 'a', value: '1' }]), topic: 't', partition: 0 });
    assert.equal(state.mode, 'rebuild');
    assert.match(state.reason ?? '', /past the changelog end/);
    assert.equal(text(store, 'ghost'), undefined);
    assert.equal(text(store, 'a'), '1');
    assert.equal(store.checkpoint(0), 1);
  });

  it('rebuilds when records after the checkpoint were deleted (checkpoint before the earliest offset)', async () => {
    const store = new MemoryStore();
    store.apply({ changes: [{ partition: 0, key: 'deleted-later', value: Buffer.from('x') }], checkpoints: new Map([[0, 1]]) });
    const tail = fakeTail([{ offset: 10, key: 'a', value: '1' }], 10);
    const state = await restorePartition({ store, tail, topic: 't', partition: 0 });
    assert.equal(state.mode, 'rebuild');
    assert.match(state.reason ?? '', /before the earliest/);
    assert.equal(text(store, 'deleted-later'), undefined);
    assert.equal(text(store, 'a'), '1');
  });

  it('stops when aborted, keeping what it applied with its checkpoint', async () => {
    const store = new MemoryStore();
    const abort = new AbortController();
    const records = Array.from({ length: 10 }, (_, i) => ({ offset: i, key: `k${i}`, value: 'v' }));
    const state = await restorePartition({
      store,
      tail: fakeTail(records),
      topic: 't',
      partition: 0,
      batchSize: 3,
      signal: abort.signal,
      onRecords: () => abort.abort(),
    });
    assert.equal(state.finishedAt, undefined);
    assert.equal(store.checkpoint(0), 3);
    assert.equal(store.size(0), 3);
  });
});
