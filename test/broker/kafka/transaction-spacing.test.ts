import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LOADED_RECORDS, TransactionSpacing } from '../../../src/broker/kafka/transaction-spacing.ts';

describe('kafka transaction spacing', () => {
  it('starts at once when idle or after a sparse transaction, and spaces transactions under load', () => {
    const spacing = new TransactionSpacing(1_000);
    assert.equal(spacing.schedule()(), 0, 'the first transaction starts at once');
    spacing.started(1, 1);
    const whileRunning = spacing.schedule();
    spacing.ended();
    const wait = whileRunning();
    assert.ok(wait > 900 && wait <= 1_000, `a call made while one ran waits out the interval (${wait} ms)`);
    spacing.started(1, 1);
    spacing.ended();
    assert.equal(spacing.schedule()(), 0, 'after a transaction of one call and record, the next starts at once');
    spacing.started(2, 2);
    spacing.ended();
    assert.ok(spacing.schedule()() > 900, 'after one of several calls, the next is spaced');
    spacing.started(1, LOADED_RECORDS);
    spacing.ended();
    assert.ok(spacing.schedule()() > 900, `after one of ${LOADED_RECORDS} records, the next is spaced`);
    spacing.started(1, LOADED_RECORDS - 1);
    spacing.ended();
    assert.equal(spacing.schedule()(), 0);
  });

  it('never waits with an interval of 0, and the wait shrinks as time passes', async () => {
    const none = new TransactionSpacing(0);
    none.started(5, 1_000);
    assert.equal(none.schedule()(), 0);
    const spacing = new TransactionSpacing(200);
    spacing.started(5, 1_000);
    spacing.ended();
    const delay = spacing.schedule();
    const first = delay();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const later = delay();
    assert.ok(first > later && later <= 110, `${first} then ${later} ms`);
    await new Promise((resolve) => setTimeout(resolve, 120));
    assert.equal(delay(), 0, 'past the interval, no wait');
  });
});
