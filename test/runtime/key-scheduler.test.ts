import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyScheduler, type OrderingMode } from '../../src/runtime/key-scheduler.ts';

interface Item {
  lane: string | null;
  laneKey: Buffer | null;
  id: number;
}

const item = (id: number, lane: string | null): Item => ({ id, lane, laneKey: lane === null ? null : Buffer.from(lane) });

function drain(scheduler: KeyScheduler<Item>): number[] {
  const out: number[] = [];
  for (let next = scheduler.take(); next !== undefined; next = scheduler.take()) out.push(next.id);
  return out;
}

describe('KeyScheduler', () => {
  it('key mode: different keys run concurrently up to the limit, same key waits', () => {
    const s = new KeyScheduler<Item>('key', 2);
    const items = [item(0, 'a'), item(1, 'a'), item(2, 'b'), item(3, 'c')];
    for (const i of items) s.push(i);
    assert.deepEqual(drain(s), [0, 2], 'a and b start; a#1 waits for a#0; c waits for a slot');
    s.finish(items[0]);
    assert.deepEqual(drain(s), [3], 'the slot goes to c (ready before a#1 became ready)');
    s.finish(items[2]);
    assert.deepEqual(drain(s), [1]);
    assert.equal(s.queued, 0);
  });

  it('key mode: records without a key are unordered', () => {
    const s = new KeyScheduler<Item>('key', 3);
    for (const i of [item(0, null), item(1, null), item(2, null)]) s.push(i);
    assert.deepEqual(drain(s), [0, 1, 2]);
  });

  it('partition mode: one at a time in order, whatever the limit', () => {
    const s = new KeyScheduler<Item>('partition', 10);
    const items = [item(0, 'a'), item(1, 'b'), item(2, null)];
    for (const i of items) s.push(i);
    assert.deepEqual(drain(s), [0]);
    s.finish(items[0]);
    assert.deepEqual(drain(s), [1]);
    s.finish(items[1]);
    assert.deepEqual(drain(s), [2]);
  });

  it('unordered mode: same keys overlap', () => {
    const s = new KeyScheduler<Item>('unordered', 2);
    for (const i of [item(0, 'a'), item(1, 'a'), item(2, 'a')]) s.push(i);
    assert.deepEqual(drain(s), [0, 1]);
  });

  it('a suspended item frees its slot but keeps its key; resuming goes first', () => {
    const s = new KeyScheduler<Item>('key', 1);
    const items = [item(0, 'a'), item(1, 'a'), item(2, 'b'), item(3, 'c')];
    for (const i of items) s.push(i);
    assert.deepEqual(drain(s), [0]);
    s.suspend(items[0]);
    assert.deepEqual(drain(s), [2], 'b uses the slot while a#0 waits; a#1 stays behind a#0');
    s.resume(items[0]);
    assert.deepEqual(drain(s), [], 'no slot yet');
    s.finish(items[2]);
    assert.deepEqual(drain(s), [0], 'a#0 comes back before c, which never started');
    s.finish(items[0]);
    assert.deepEqual(drain(s), [3]);
    s.finish(items[3]);
    assert.deepEqual(drain(s), [1]);
  });

  it('a cancelled resume is not handed out', () => {
    const s = new KeyScheduler<Item>('key', 1);
    const a = item(0, 'a');
    s.push(a);
    drain(s);
    s.suspend(a);
    s.resume(a);
    s.cancelResume(a);
    assert.deepEqual(drain(s), []);
    assert.equal(s.running, 0);
  });

  for (const mode of ['key', 'partition', 'unordered'] as OrderingMode[]) {
    it(`${mode} mode: random workloads keep the limit and per-key order`, () => {
      let seed = 7;
      const random = () => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed / 2 ** 31;
      };
      const limit = 4;
      const s = new KeyScheduler<Item>(mode, limit);
      const items = Array.from({ length: 300 }, (_, id) => item(id, `k${Math.floor(random() * 7)}`));
      for (const i of items) s.push(i);
      const running = new Set<Item>();
      const started: Item[] = [];
      while (started.length < items.length || running.size > 0) {
        for (const id of drain(s)) {
          const next = items[id];
          if (mode !== 'unordered') {
            for (const other of running) assert.notEqual(other.lane, next.lane, `key ${next.lane} overlaps`);
          }
          running.add(next);
          started.push(next);
        }
        assert.ok(running.size <= (mode === 'partition' ? 1 : limit));
        const pick = [...running][Math.floor(random() * running.size)];
        running.delete(pick);
        s.finish(pick);
      }
      if (mode !== 'unordered') {
        const last = new Map<string | null, number>();
        for (const i of started) {
          assert.ok((last.get(i.lane) ?? -1) < i.id, `key ${i.lane} out of order`);
          last.set(i.lane, i.id);
        }
      }
    });
  }

  it('idle lanes are kept for reuse and swept in bulk; a busy lane survives a sweep and keeps its order', () => {
    const s = new KeyScheduler<Item>('key', 10_000);
    const busy = [item(-1, 'busy'), item(-2, 'busy')];
    for (const i of busy) s.push(i);
    assert.deepEqual(drain(s), [-1]);
    for (let n = 0; n < 3_000; n++) {
      const i = item(n, `k${n}`);
      s.push(i);
      assert.deepEqual(drain(s), [n]);
      s.finish(i);
    }
    assert.ok(s.lanes < 3_001, `idle lanes were never swept (${s.lanes})`);
    s.finish(busy[0]);
    assert.deepEqual(drain(s), [-2], 'the busy lane lost its waiter in a sweep');
    const again = item(9, 'k1');
    s.push(again);
    assert.deepEqual(drain(s), [9], 'a swept lane is made anew');
  });
});

