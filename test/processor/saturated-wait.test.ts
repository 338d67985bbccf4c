import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SATURATED } from '../../src/kit/event-loop-load.ts';
import { FULLY_SATURATED, SATURATED_WAIT_MS, saturatedWaitMs } from '../../src/processor/saturated-wait.ts';

describe('saturatedWaitMs', () => {
  it('waits not at all below saturation, and the whole wait from full saturation', () => {
    for (const utilization of [0, 0.5, 0.9, SATURATED]) assert.equal(saturatedWaitMs(utilization), 0, `at ${utilization}`);
    for (const utilization of [FULLY_SATURATED, 0.995, 1]) assert.equal(saturatedWaitMs(utilization), SATURATED_WAIT_MS);
  });

  it('grows in proportion between, in whole milliseconds', () => {
    const middle = (SATURATED + FULLY_SATURATED) / 2;
    assert.equal(saturatedWaitMs(middle), Math.round(SATURATED_WAIT_MS / 2));
    let last = 0;
    for (let u = SATURATED; u <= FULLY_SATURATED; u += 0.001) {
      const wait = saturatedWaitMs(u);
      assert.ok(Number.isInteger(wait) && wait >= last, `non-decreasing whole milliseconds at ${u}`);
      last = wait;
    }
  });
});
