/**
 * Committed changelog records handed to the followers of the same process (`committed-feed.ts`): applied where they
 * continue what was applied, never twice, never out of order, and the fetch that brings them later skips them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Broker, BrokerRecord, TailListener, TailReader } from '../../src/broker/port.ts';
import { feedCommitted, onCommitted } from '../../src/processor/committed-feed.ts';
import { ChangelogFollower } from '../../src/processor/follower.ts';
import { MemoryStore } from '../../src/state/memory-store.ts';

const TOPIC = 'table';

/** A broker whose reader hands over only the batches the test pushes. */
function fakeBroker(): { broker: Broker; push: TailListener['onRecords'] } {
  let listener: TailListener | undefined;
  const reader = {
    start: async (l: TailListener) => void (listener = l),
    assign: async () => {},
    unassign: async () => {},
    seek: () => {},
    positions: () => [],
    close: async () => {},
  } as unknown as TailReader;
  const broker = { reader: () => reader, admin: { endOffsets: async () => [] } } as unknown as Broker;
  return { broker, push: (batch) => listener!.onRecords(batch) };
}

const record = (offset: number, key: string, value: string): BrokerRecord => ({
  topic: TOPIC,
  partition: 0,
  offset,
  key: Buffer.from(key),
  value: Buffer.from(value),
  headers: {},
  timestamp: 0,
});

async function follower() {
  const { broker, push } = fakeBroker();
  const store = new MemoryStore();
  const applied: number[][] = [];
  const f = new ChangelogFollower({
    broker,
    store,
    topic: TOPIC,
    tail: { bounds: async () => ({ earliest: 0, end: 0 }), read: async () => [] },
    onApplied: (records) => applied.push(records.map((r) => r.offset)),
    endsEveryMs: 60_000,
  });
  const value = (key: string) => store.get(0, key)?.toString();
  return { f, push, value, applied, broker };
}

describe('committed records fed to the followers of this process', () => {
  it('are applied where they continue what was applied, and the fetch then skips them', async (t) => {
    const { f, push, value, applied } = await follower();
    t.after(() => f.stop());
    assert.equal(f.applyCommitted(0, [record(0, 'a', '1')]), false, 'not before the partition is restored');
    await f.add([0]);
    assert.equal(f.applyCommitted(0, [record(0, 'a', '1'), record(1, 'b', '1')]), true);
    assert.equal(f.position(0), 2);
    assert.equal(value('a'), '1');
    assert.equal(f.applyCommitted(0, [record(3, 'a', '3')]), false, 'a gap: left to the fetch');
    assert.equal(f.applyCommitted(0, [record(1, 'b', 'old')]), false, 'applied already');
    assert.equal(f.applyCommitted(0, [record(2, 'a', '2'), record(4, 'c', '4')]), false, 'not one contiguous run');
    assert.equal(value('a'), '1');
    // The fetch brings the fed records again with newer ones: only the newer ones are applied.
    await push({ topic: TOPIC, partition: 0, records: [record(0, 'a', 'stale'), record(1, 'b', 'stale'), record(2, 'a', '2')], next: 3 });
    assert.equal(value('a'), '2');
    assert.equal(value('b'), '1');
    // A fetch entirely behind the position changes nothing.
    await push({ topic: TOPIC, partition: 0, records: [record(1, 'b', 'stale')], next: 2 });
    assert.equal(value('b'), '1');
    assert.deepEqual(applied, [[0, 1], [2]]);
    assert.equal(f.position(0), 3);
  });

  it("reach the listeners of the same broker and table only, until they unsubscribe; one listener's failure is its own", () => {
    const { broker } = fakeBroker();
    const other = fakeBroker().broker;
    const got: [number, number[]][] = [];
    // Listeners are called in the order they came: the failing one first.
    const failing = onCommitted(broker, TOPIC, () => {
      throw new Error('a listener that fails');
    });
    const stop = onCommitted(broker, TOPIC, (partition, records) => got.push([partition, records.map((r) => r.offset)]));
    const changelog = [{ topic: TOPIC, key: Buffer.from('a'), value: Buffer.from('1'), headers: { 'herald.source': 'in/0/7' } }];
    feedCommitted(broker, TOPIC, changelog, [{ topic: TOPIC, partition: 3, offset: 41 }]);
    feedCommitted(broker, 'another-table', changelog, [{ topic: 'another-table', partition: 0, offset: 1 }]);
    feedCommitted(other, TOPIC, changelog, [{ topic: TOPIC, partition: 0, offset: 1 }]);
    feedCommitted(broker, TOPIC, [], []);
    stop();
    failing();
    feedCommitted(broker, TOPIC, changelog, [{ topic: TOPIC, partition: 3, offset: 42 }]);
    assert.deepEqual(got, [[3, [41]]]);
  });
});
