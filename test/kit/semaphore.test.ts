import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Semaphore } from '../../src/kit/semaphore.ts';

describe('Semaphore', () => {
  it('hands out permits first come, first served, and gives up on abort', async () => {
    const slots = new Semaphore(1);
    await slots.acquire();
    const order: number[] = [];
    const second = slots.acquire().then(() => order.push(2));
    const controller = new AbortController();
    const third = slots.acquire(controller.signal);
    const fourth = slots.acquire().then(() => order.push(4));
    controller.abort();
    await assert.rejects(third, { code: 'HERALD_SHUTTING_DOWN' });
    slots.release();
    await second;
    slots.release();
    await fourth;
    assert.deepEqual(order, [2, 4]);
    await assert.rejects(slots.acquire(AbortSignal.abort()), { code: 'HERALD_SHUTTING_DOWN' });
  });

  it('does not let a newcomer overtake a waiter when a permit frees', async () => {
    const slots = new Semaphore(1);
    await slots.acquire();
    const order: string[] = [];
    const waiter = slots.acquire().then(() => order.push('waiter'));
    slots.release();
    const newcomer = slots.acquire().then(() => order.push('newcomer'));
    await waiter;
    slots.release();
    await newcomer;
    assert.deepEqual(order, ['waiter', 'newcomer']);
  });
});
