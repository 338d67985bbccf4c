import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isHeraldError } from '../../src/errors.ts';
import { DEFAULT_RETRY_POLICY, nextDelay, retryPolicy } from '../../src/runtime/backoff.ts';

describe('backoff', () => {
  const policy = retryPolicy({ initialDelayMs: 100, multiplier: 2, maxDelayMs: 1_000, jitter: 0, maxAttempts: 10 });

  it('grows exponentially up to the cap', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((n) => nextDelay(policy, n, 0)),
      [100, 200, 400, 800, 1_000, 1_000],
    );
  });

  it('jitter draws from [delay·(1-jitter), delay]', () => {
    const jittered = retryPolicy({ ...policy, jitter: 0.5 });
    assert.equal(
      nextDelay(jittered, 3, 0, () => 0),
      400,
    );
    assert.equal(
      nextDelay(jittered, 3, 0, () => 0.999_999),
      200,
    );
    for (let i = 0; i < 100; i++) {
      const d = nextDelay(jittered, 3, 0)!;
      assert.ok(d >= 200 && d <= 400, String(d));
    }
  });

  it('stops at max attempts', () => {
    assert.equal(nextDelay(policy, 9, 0), 1_000);
    assert.equal(nextDelay(policy, 10, 0), undefined);
    assert.equal(nextDelay(retryPolicy({ maxAttempts: 1 }), 1, 0), undefined);
  });

  it('stops when the next attempt would start after max elapsed time', () => {
    const limited = retryPolicy({ ...policy, maxElapsedMs: 1_000 });
    assert.equal(nextDelay(limited, 1, 900), 100);
    assert.equal(nextDelay(limited, 1, 901), undefined);
  });

  it('validates policies', () => {
    assert.deepEqual(retryPolicy(), { ...DEFAULT_RETRY_POLICY });
    for (const bad of [{ maxAttempts: 0 }, { jitter: 2 }, { multiplier: 0.5 }, { maxDelayMs: 1, initialDelayMs: 5 }]) {
      assert.throws(
        () => retryPolicy(bad),
        (err) => isHeraldError(err, 'HERALD_INVALID_ARGUMENT'),
      );
    }
  });
});
