import { HeraldError } from '../errors.ts';

/**
 * When to try a failed record again. Delays grow exponentially, `initialDelayMs · multiplier^(n-1)` before retry
 * `n`, capped at `maxDelayMs`, and are jittered so that records failing together (a destination that went down)
 * do not retry in lockstep. Retrying stops at whichever limit comes first: `maxAttempts` attempts in all, or a
 * retry that would start later than `maxElapsedMs` after the first attempt.
 */
export interface RetryPolicy {
  /** Attempts in all, the first included; 1 disables retries. Default 5. */
  maxAttempts: number;
  /** No retry starts later than this after the first attempt began. Default 60,000 ms. */
  maxElapsedMs: number;
  /** Delay before the first retry, before jitter. Default 200 ms. */
  initialDelayMs: number;
  /** Largest delay, before jitter. Default 10,000 ms. */
  maxDelayMs: number;
  /** Growth per retry. Default 2. */
  multiplier: number;
  /**
   * Fraction of each delay that is random, 0..1: the delay is drawn uniformly from
   * `[delay · (1 - jitter), delay]`. Default 0.5; 1 is "full jitter", 0 none.
   */
  jitter: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 5,
  maxElapsedMs: 60_000,
  initialDelayMs: 200,
  maxDelayMs: 10_000,
  multiplier: 2,
  jitter: 0.5,
});

/** A complete policy from defaults and overrides; `HERALD_INVALID_ARGUMENT` for values out of range. */
export function retryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  const policy = { ...DEFAULT_RETRY_POLICY, ...overrides };
  const check = (ok: boolean, field: keyof RetryPolicy, rule: string) => {
    if (!ok) throw new HeraldError('HERALD_INVALID_ARGUMENT', `retry.${field} must be ${rule}, not ${policy[field]}`);
  };
  check(Number.isInteger(policy.maxAttempts) && policy.maxAttempts >= 1, 'maxAttempts', 'an integer >= 1');
  check(policy.maxElapsedMs >= 0, 'maxElapsedMs', '>= 0');
  check(policy.initialDelayMs >= 0, 'initialDelayMs', '>= 0');
  check(policy.maxDelayMs >= policy.initialDelayMs, 'maxDelayMs', '>= initialDelayMs');
  check(policy.multiplier >= 1, 'multiplier', '>= 1');
  check(policy.jitter >= 0 && policy.jitter <= 1, 'jitter', 'between 0 and 1');
  return policy;
}

/**
 * The delay before the next attempt after `attempts` attempts have failed, the first of which began `elapsedMs`
 * ago; `undefined` when the policy says stop. `random` returns a number in [0, 1) (injectable for tests).
 */
export function nextDelay(
  policy: RetryPolicy,
  attempts: number,
  elapsedMs: number,
  random: () => number = Math.random,
): number | undefined {
  if (attempts >= policy.maxAttempts) return undefined;
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** (attempts - 1));
  const delay = Math.round(base * (1 - policy.jitter * random()));
  if (elapsedMs + delay > policy.maxElapsedMs) return undefined;
  return delay;
}
