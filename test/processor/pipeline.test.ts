import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import type { Broker } from '../../src/broker/port.ts';
import type { BatchResult, TableChange } from '../../src/processor/core.ts';
import { type ProcessorOptions, resolveProcessorOptions } from '../../src/processor/options.ts';
import { PartitionPipeline } from '../../src/processor/pipeline.ts';

function batch(changes: Record<string, string | null>, positions: Record<string, number>): BatchResult {
  const map = new Map<string, TableChange>();
  for (const [key, value] of Object.entries(changes)) map.set(key, { key, bytes: value === null ? null : Buffer.from(value) });
  return {
    partition: 0,
    changes: map,
    emitted: [],
    positions: Object.entries(positions).map(([topic, offset]) => ({ topic, partition: 0, offset })),
    processed: 1,
    deadLettered: 0,
    late: 0,
  };
}

const committed = (values: Record<string, string>) => (keys: Iterable<string>) =>
  new Map([...keys].map((key) => [key, values[key] === undefined ? undefined : Buffer.from(values[key])]));

const text = (map: Map<string, Buffer | undefined>) => Object.fromEntries([...map].map(([k, v]) => [k, v?.toString()]));

/** A promise and its settle function. */
function deferred(): { promise: Promise<void>; settle: () => void } {
  let settle!: () => void;
  const promise = new Promise<void>((resolve) => (settle = resolve));
  return { promise, settle };
}

describe('PartitionPipeline', () => {
  it('a batch reads the latest change among the batches in flight, then the committed value, asking once for the rest', async () => {
    const pipeline = new PartitionPipeline();
    const asked: string[][] = [];
    const read = (keys: Iterable<string>) => {
      asked.push([...keys]);
      return committed({ a: 'a0', b: 'b0', c: 'c0' })(keys);
    };
    const first = deferred();
    const second = deferred();
    void pipeline.add(batch({ a: 'a1', b: 'b1' }, { in: 5 }), first.promise);
    void pipeline.add(batch({ a: 'a2', c: null }, { in: 9 }), second.promise);
    assert.deepEqual(text(pipeline.read(['a', 'b', 'c', 'd', 'a'], read)), { a: 'a2', b: 'b1', c: undefined, d: undefined });
    assert.deepEqual(asked, [['d']]);
    first.settle();
    second.settle();
    await pipeline.drained();
    assert.equal(pipeline.size, 0);
    assert.deepEqual(text(pipeline.read(['a'], read)), { a: 'a0' }, 'nothing in flight: the committed values');
  });

  it('a batch that leaves resolves its settled promise; held batches merge, are read first, and are taken as one', async () => {
    const pipeline = new PartitionPipeline();
    const first = deferred();
    let left = false;
    const leaving = pipeline.add(batch({ a: 'a1' }, { x: 5 }), first.promise).then(() => (left = true));
    pipeline.hold(batch({ a: 'a2', b: 'b2' }, { x: 7 }), 100);
    pipeline.hold(batch({ b: 'b3', c: null }, { x: 9, y: 2 }), 200);
    assert.equal(pipeline.heldRecords, 2);
    assert.equal(pipeline.processed('x'), 9, 'held batches count as processed');
    assert.deepEqual(text(pipeline.read(['a', 'b', 'c'], committed({ c: 'c0' }))), { a: 'a2', b: 'b3', c: undefined });
    let taken = false;
    const waiting = pipeline.heldTaken().then(() => (taken = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(left, false);
    assert.equal(taken, false);
    first.settle();
    await leaving;
    assert.equal(pipeline.size, 0);
    const held = pipeline.takeHeld();
    await waiting;
    assert.equal(taken, true);
    assert.equal(held?.streamAfter, 200);
    assert.deepEqual(text(new Map([...held!.result.changes].map(([k, c]) => [k, c.bytes ?? undefined]))), { a: 'a2', b: 'b3', c: undefined });
    assert.deepEqual(held?.result.positions.map((p) => [p.topic, p.offset]), [['x', 9], ['y', 2]]);
    assert.equal(held?.result.processed, 2);
    assert.equal(pipeline.takeHeld(), undefined);
    await pipeline.heldTaken();
  });

  it('a broken chain drops the held batch and releases whoever waits for it', async () => {
    const pipeline = new PartitionPipeline();
    void pipeline.add(batch({ a: 'a1' }, { x: 5 }), deferred().promise);
    pipeline.hold(batch({ a: 'a2' }, { x: 7 }), 0);
    const waiting = pipeline.heldTaken();
    pipeline.broke(pipeline.chain);
    await waiting;
    assert.equal(pipeline.heldRecords, 0);
    assert.deepEqual(text(pipeline.read(['a'], committed({ a: 'a0' }))), { a: 'a0' });
  });

  it('a broken chain: its batches are no longer read, a new chain and generation start, once only', () => {
    const pipeline = new PartitionPipeline();
    void pipeline.add(batch({ a: 'a1' }, { in: 3 }), deferred().promise);
    const chain = pipeline.chain;
    const generation = pipeline.generation;
    assert.equal(pipeline.broke(chain), true);
    assert.notEqual(pipeline.chain, chain);
    assert.equal(pipeline.generation, generation + 1);
    assert.equal(pipeline.broke(chain), false, 'a later failure of the same chain was handled already');
    assert.deepEqual(text(pipeline.read(['a'], committed({ a: 'a0' }))), { a: 'a0' });
  });

  it('restarts each input after its batches in flight, or after its last committed batch', () => {
    const pipeline = new PartitionPipeline();
    pipeline.handedOver({ topic: 'x', offset: 10 });
    pipeline.handedOver({ topic: 'y', offset: 4 });
    assert.deepEqual(Object.fromEntries(pipeline.restartAt('committed')), { x: 10, y: 4 });
    const done = batch({}, { x: 15 });
    void pipeline.add(done, Promise.resolve());
    pipeline.committed(done, 1_000);
    void pipeline.add(batch({}, { x: 20, y: 8 }), deferred().promise);
    assert.deepEqual(Object.fromEntries(pipeline.restartAt('submitted')), { x: 20, y: 8 });
    assert.deepEqual(Object.fromEntries(pipeline.restartAt('committed')), { x: 15, y: 4 });
    assert.deepEqual(Object.fromEntries(pipeline.restartAt('submitted')), { x: 15, y: 4 }, 'what was in flight is gone');
    assert.equal(pipeline.streamTime, 1_000);
    pipeline.reset();
    assert.deepEqual(Object.fromEntries(pipeline.restartAt('committed')), {});
    assert.equal(pipeline.streamTime, undefined);
  });

  it('says how far each input was processed: the batches in flight, back to the last committed one when its chain broke', () => {
    const pipeline = new PartitionPipeline();
    assert.equal(pipeline.processed('x'), undefined, 'before the first batch');
    pipeline.handedOver({ topic: 'x', offset: 10 });
    assert.equal(pipeline.processed('x'), 10, 'everything before the first record handed over was committed');
    const done = batch({}, { x: 15 });
    void pipeline.add(done, Promise.resolve());
    pipeline.committed(done, 0);
    void pipeline.add(batch({}, { x: 20 }), deferred().promise);
    assert.equal(pipeline.processed('x'), 20, 'a batch in flight counts');
    pipeline.broke(pipeline.chain);
    assert.equal(pipeline.processed('x'), 15, 'its commit failed: back to the last committed batch');
    pipeline.reset();
    assert.equal(pipeline.processed('x'), undefined);
  });
});

describe('processor options: inFlightBatches and commitIntervalMs', () => {
  const broker = (kind: string) => ({ kind }) as unknown as Broker;
  const resolve = (kind: string, options: Partial<ProcessorOptions> = {}) =>
    resolveProcessorOptions({ broker: broker(kind), logger: pino({ level: 'silent' }), ...options }).inFlightBatches;

  it('defaults to 2 on Kafka and 1 on the embedded broker; at-least-once is always 1; it must be a positive integer', () => {
    assert.equal(resolve('kafka'), 2);
    assert.equal(resolve('embedded'), 1);
    assert.equal(resolve('embedded', { inFlightBatches: 3 }), 3);
    assert.equal(resolve('kafka', { guarantee: 'at-least-once', inFlightBatches: 3 }), 1);
    assert.throws(() => resolve('kafka', { inFlightBatches: 0 }), /inFlightBatches must be a positive integer/);
  });

  it('refuses a commitIntervalMs outside 0–60,000 ms', () => {
    assert.equal(resolve('kafka', { commitIntervalMs: 0 }), 2);
    for (const commitIntervalMs of [-1, 60_001, 2.5]) {
      assert.throws(() => resolve('kafka', { commitIntervalMs }), /commitIntervalMs must be an integer from 0 to 60000/);
    }
  });
});
