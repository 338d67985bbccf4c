import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classify, parseRetryAfter } from '../../../services/delivery/classify.ts';

describe('delivery outcome classification', () => {
  it('treats 2xx as delivered', () => {
    for (const status of [200, 201, 202, 204, 299]) assert.equal(classify({ status }).kind, 'delivered');
  });

  it('treats 4xx other than 408 and 429 as permanent, and so are redirects', () => {
    for (const status of [400, 401, 403, 404, 409, 410, 413, 422, 301, 302, 100]) {
      assert.equal(classify({ status }).kind, 'permanent', String(status));
    }
  });

  it('retries 5xx, 408, 429, timeouts and connection errors', () => {
    for (const status of [500, 502, 503, 504, 599, 408, 429]) {
      assert.equal(classify({ status }).kind, 'retriable', String(status));
    }
    assert.equal(classify({ failure: 'timeout', message: 'slow' }).kind, 'retriable');
    assert.equal(classify({ failure: 'connection', message: 'ECONNREFUSED' }).kind, 'retriable');
  });

  it('keeps the status and a short body in the reason', () => {
    const outcome = classify({ status: 422, body: 'field x is bad' });
    assert.deepEqual(outcome, { kind: 'permanent', status: 422, reason: 'HTTP 422: field x is bad' });
  });

  it('honours Retry-After on retriable answers, in seconds or as a date, capped', () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    assert.equal(classify({ status: 429, retryAfter: '3' }, now).kind === 'retriable', true);
    assert.deepEqual(classify({ status: 503, retryAfter: '2' }, now), {
      kind: 'retriable',
      status: 503,
      reason: 'HTTP 503',
      retryAfterMs: 2000,
    });
    assert.equal(parseRetryAfter('Tue, 01 Jan 2030 00:00:10 GMT', now), 10_000);
    assert.equal(parseRetryAfter('Mon, 31 Dec 2029 00:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('100000', now), 300_000);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(null, now), undefined);
    assert.equal(parseRetryAfter('  ', now), undefined);
  });
});
