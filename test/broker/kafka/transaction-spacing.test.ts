import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  LOADED_RECORDS,
  memberSpacing,
  SATURATED_FROM,
  SPARE_BELOW,
  spacingShare,
  TransactionSpacing,
  TURNS_BEFORE_START,
} from '../../../src/broker/kafka/transaction-spacing.ts';

describe('kafka transaction spacing', () => {
  it('starts at once when idle or after a sparse transaction, and spaces transactions under load', () => {
    const spacing = new TransactionSpacing(1_000, () => 1);
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
    const none = new TransactionSpacing(0, () => 1);
    none.started(5, 1_000);
    assert.equal(none.schedule()(), 0);
    const spacing = new TransactionSpacing(200, () => 1);
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

  it('spaces by a share of the interval that follows how busy the event loop is', () => {
    assert.equal(spacingShare(0), 0);
    assert.equal(spacingShare(SPARE_BELOW), 0, 'with time to spare, back to back');
    assert.equal(spacingShare(1), 1);
    assert.equal(spacingShare(SATURATED_FROM), 1, 'saturated: the whole interval');
    const middle = spacingShare((SPARE_BELOW + SATURATED_FROM) / 2);
    assert.ok(Math.abs(middle - 0.5) < 1e-9, `halfway: half the interval (${middle})`);

    let utilization = 0.5;
    const spacing = new TransactionSpacing(1_000, () => utilization);
    spacing.started(2, 100);
    spacing.ended();
    assert.equal(spacing.schedule()(), 0, 'a loaded transaction on a loop with time to spare: the next at once');
    utilization = (SPARE_BELOW + SATURATED_FROM) / 2;
    const wait = spacing.schedule()();
    assert.ok(wait > 400 && wait <= 500, `half busy: about half the interval (${wait} ms)`);
    utilization = 1;
    assert.ok(spacing.schedule()() > 900, 'saturated: the whole interval');
  });

  it("a member's own interval applies in full whatever the load; without one, the broker's follows the load", () => {
    const idle = () => 0;
    const own = memberSpacing(1_000, idle, 400);
    own.started(2, 100);
    own.ended();
    const wait = own.schedule()();
    assert.ok(wait > 300 && wait <= 400, `its own interval on an idle loop (${wait} ms)`);
    own.started(1, 1);
    own.ended();
    assert.equal(own.schedule()(), 0, 'a sparse transaction still lets the next start at once');
    const byLoad = memberSpacing(1_000, idle, undefined);
    byLoad.started(2, 100);
    byLoad.ended();
    assert.equal(byLoad.schedule()(), 0, "the broker's interval, on an idle loop: back to back");
  });

  it('a transaction that starts without a wait lets turns of the event loop pass first; a spaced one waits the interval', async () => {
    const turnsUntil = async (ready: () => Promise<void>) => {
      let turns = 0;
      let done = false;
      const count = () => {
        if (done) return;
        turns += 1;
        setImmediate(count);
      };
      setImmediate(count);
      await ready();
      done = true;
      return turns;
    };
    const spacing = new TransactionSpacing(1_000, () => 0);
    assert.equal(await turnsUntil(spacing.waiter()), TURNS_BEFORE_START, 'nothing in flight');
    spacing.started(1, 1);
    const follower = spacing.waiter();
    spacing.ended();
    assert.equal(await turnsUntil(follower), TURNS_BEFORE_START, 'after the one in flight, with time to spare');
    const spaced = new TransactionSpacing(50, () => 1);
    spaced.started(2, 100);
    const started = performance.now();
    await spaced.waiter()();
    assert.ok(performance.now() - started >= 45, 'spaced: waits out the interval');
  });
});
