import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MultipleErrors, ProtocolError } from '@platformatic/kafka';
import { produceRetryDelay, PRODUCE_RETRY_DELAY_MS } from '../../../src/broker/kafka/produce-sender.ts';
import { whileBusy } from '../../../src/broker/kafka/transaction-errors.ts';
import { whileCoordinatorMoves } from '../../../src/broker/kafka/coordinator.ts';

/** A request failing with these Kafka errors (as the library reports a response's error), then answering `done`. */
function failing(ids: string[]) {
  let calls = 0;
  const request = async () => {
    const id = ids[calls++];
    if (id === undefined) return 'done';
    throw new MultipleErrors('Received response with error while executing API TxnOffsetCommit(v3)', [new ProtocolError(id)]);
  };
  return { request, calls: () => calls };
}

describe('retries of a busy Kafka', () => {
  it('asks again while the coordinator is busy, soon at first and then further apart', async () => {
    const waits: number[] = [];
    const { request, calls } = failing(['COORDINATOR_LOAD_IN_PROGRESS', 'CONCURRENT_TRANSACTIONS', 'COORDINATOR_LOAD_IN_PROGRESS']);
    assert.equal(await whileBusy(request, async (ms) => void waits.push(ms)), 'done');
    assert.equal(calls(), 4);
    assert.deepEqual(waits, [1, 2, 4]);
  });

  it('gives up on a coordinator busy for ~0.5 s, and at once on any other error', async () => {
    const waits: number[] = [];
    const busy = failing(Array.from({ length: 50 }, () => 'COORDINATOR_LOAD_IN_PROGRESS'));
    await assert.rejects(whileBusy(busy.request, async (ms) => void waits.push(ms)), /TxnOffsetCommit/);
    assert.equal(busy.calls(), 12);
    assert.ok(waits.every((ms) => ms <= 100));
    const total = waits.reduce((a, b) => a + b, 0);
    assert.ok(total > 300 && total < 800, `waited ${total} ms in all`);
    const fenced = failing(['INVALID_PRODUCER_EPOCH']);
    await assert.rejects(whileBusy(fenced.request, async () => assert.fail('no wait')), /TxnOffsetCommit/);
    assert.equal(fenced.calls(), 1);
  });

  it('a produce is retried after 1 ms, then twice as long each time up to the usual delay', () => {
    assert.deepEqual([0, 1, 2, 3].map(produceRetryDelay), [1, 2, 4, 8]);
    assert.equal(produceRetryDelay(9), PRODUCE_RETRY_DELAY_MS);
    assert.equal(produceRetryDelay(19), PRODUCE_RETRY_DELAY_MS);
  });

  it('a group join is tried again while its coordinator moves, until it answers', async () => {
    const waits: number[] = [];
    const retried: unknown[] = [];
    const { request, calls } = failing(['NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_LOAD_IN_PROGRESS', 'NOT_COORDINATOR']);
    const options = { withinMs: 30_000, retryMs: 1_000, going: () => true, onRetry: (err: unknown) => retried.push(err) };
    assert.equal(await whileCoordinatorMoves(request, options, async (ms) => void waits.push(ms)), 'done');
    assert.equal(calls(), 5);
    assert.deepEqual(waits, [1_000, 1_000, 1_000, 1_000]);
    assert.equal(retried.length, 4);
  });

  it('a group join gives up at once on other errors, once closed, and when the time is up', async () => {
    const noWait = async () => assert.fail('no wait');
    const options = { withinMs: 30_000, retryMs: 1_000, going: () => true };
    const other = failing(['INVALID_SESSION_TIMEOUT']);
    await assert.rejects(whileCoordinatorMoves(other.request, options, noWait), /TxnOffsetCommit/);
    assert.equal(other.calls(), 1);
    const closed = failing(['NOT_COORDINATOR']);
    await assert.rejects(whileCoordinatorMoves(closed.request, { ...options, going: () => false }, noWait));
    assert.equal(closed.calls(), 1);
    const late = failing(['NOT_COORDINATOR']);
    await assert.rejects(whileCoordinatorMoves(late.request, { ...options, withinMs: 500 }, noWait));
    assert.equal(late.calls(), 1);
    await assert.rejects(whileCoordinatorMoves(async () => { throw 'not an error'; }, options, noWait));
  });
});
