import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withTimeout } from '../../src/kit/timeout.ts';

describe('withTimeout', () => {
  it('settles like the work when it is in time', async () => {
    assert.equal(await withTimeout(Promise.resolve(7), 10_000, () => 0), 7);
    await assert.rejects(
      withTimeout(Promise.reject(new Error('boom')), 10_000, () => 0),
      /boom/,
    );
  });

  it('resolves with, or rejects with, what onTimeout makes of a late work', async () => {
    const never = new Promise<number>(() => {});
    assert.equal(await withTimeout(never, 1, () => 'late'), 'late');
    await assert.rejects(
      withTimeout(never, 1, () => {
        throw new Error('too slow');
      }),
      /too slow/,
    );
  });

  it('waits for the work alone when the limit is infinite', async () => {
    let called = false;
    const value = await withTimeout(
      new Promise<number>((resolve) => setTimeout(() => resolve(3), 5)),
      Number.POSITIVE_INFINITY,
      () => {
        called = true;
        return 0;
      },
    );
    assert.equal(value, 3);
    assert.equal(called, false);
  });

  it('leaves no late rejection unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      let fail!: (err: Error) => void;
      const work = new Promise<number>((_, reject) => (fail = reject));
      assert.equal(await withTimeout(work, 1, () => -1), -1);
      fail(new Error('after the deadline'));
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
