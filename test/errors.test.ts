import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ERROR_CODES,
  type ErrorCode,
  failureLogFields,
  HeraldError,
  isHeraldError,
  isRetriable,
} from '../src/errors.ts';
import { statusOf } from '../src/http/errors.ts';

/**
 * Every code with its HTTP status and whether it is retriable, pinned. Renaming or removing a code breaks users;
 * adding one is deliberate: it needs a line here (the type and the test below both insist).
 */
const PINNED: Record<ErrorCode, { status: number; retriable: boolean }> = {
  HERALD_CONFIG_INVALID: { status: 500, retriable: false },
  HERALD_INVALID_ARGUMENT: { status: 400, retriable: false },
  HERALD_VALIDATION_FAILED: { status: 400, retriable: false },
  HERALD_DECODE_FAILED: { status: 400, retriable: false },
  HERALD_PAYLOAD_TOO_LARGE: { status: 413, retriable: false },
  HERALD_HEADERS_TOO_LARGE: { status: 431, retriable: false },
  HERALD_URI_TOO_LONG: { status: 414, retriable: false },
  HERALD_UNSUPPORTED_MEDIA_TYPE: { status: 415, retriable: false },
  HERALD_METHOD_NOT_ALLOWED: { status: 405, retriable: false },
  HERALD_REQUEST_TIMEOUT: { status: 408, retriable: true },
  HERALD_NOT_FOUND: { status: 404, retriable: false },
  HERALD_ROUTE_NOT_FOUND: { status: 404, retriable: false },
  HERALD_UNAUTHORIZED: { status: 401, retriable: false },
  HERALD_FORBIDDEN: { status: 403, retriable: false },
  HERALD_TOPIC_NOT_FOUND: { status: 404, retriable: false },
  HERALD_TOPIC_EXISTS: { status: 409, retriable: false },
  HERALD_PARTITION_OUT_OF_RANGE: { status: 400, retriable: false },
  HERALD_OFFSET_OUT_OF_RANGE: { status: 400, retriable: false },
  HERALD_GROUP_NOT_FOUND: { status: 404, retriable: false },
  HERALD_NOT_ASSIGNED: { status: 409, retriable: false },
  HERALD_FENCED: { status: 409, retriable: false },
  HERALD_COPARTITION_MISMATCH: { status: 409, retriable: false },
  HERALD_DATA_DIR_LOCKED: { status: 503, retriable: false },
  HERALD_STORAGE_FAILED: { status: 503, retriable: true },
  HERALD_STORAGE_CORRUPT: { status: 500, retriable: false },
  HERALD_STORAGE_MISSING: { status: 500, retriable: false },
  HERALD_ADDRESS_IN_USE: { status: 500, retriable: false },
  HERALD_BROKER_UNAVAILABLE: { status: 503, retriable: true },
  HERALD_BROKER_CLOSED: { status: 503, retriable: false },
  HERALD_REBALANCE_IN_PROGRESS: { status: 503, retriable: true },
  HERALD_GROUP_IN_USE: { status: 409, retriable: true },
  HERALD_TIMEOUT: { status: 504, retriable: true },
  HERALD_SHUTTING_DOWN: { status: 503, retriable: true },
  HERALD_HANDLER_FAILED: { status: 500, retriable: true },
  HERALD_DESTINATION_FAILED: { status: 502, retriable: true },
  HERALD_TOPOLOGY_INVALID: { status: 500, retriable: false },
  HERALD_STATE_CORRUPT: { status: 500, retriable: false },
  HERALD_INTERNAL: { status: 500, retriable: false },
};

describe('error codes', () => {
  it('are exactly the pinned list', () => {
    assert.deepEqual(Object.keys(ERROR_CODES).sort(), Object.keys(PINNED).sort());
  });

  for (const [code, { status, retriable }] of Object.entries(PINNED) as [ErrorCode, (typeof PINNED)[ErrorCode]][]) {
    it(`${code}: HTTP ${status}, ${retriable ? 'retriable' : 'not retriable'}`, () => {
      assert.equal(statusOf(code), status);
      assert.equal(ERROR_CODES[code].retriable, retriable);
      assert.equal(new HeraldError(code).retriable, retriable);
      assert.equal(isRetriable(new HeraldError(code)), retriable);
    });
  }

  it('carry code, cause and an overridable retriable flag', () => {
    const cause = new Error('socket closed');
    const err = new HeraldError('HERALD_BROKER_UNAVAILABLE', 'broker down', { cause });
    assert.equal(err.code, 'HERALD_BROKER_UNAVAILABLE');
    assert.equal(err.cause, cause);
    assert.equal(new HeraldError('HERALD_DESTINATION_FAILED', 'x', { retriable: false }).retriable, false);
    assert.equal(new HeraldError('HERALD_TIMEOUT').message, ERROR_CODES.HERALD_TIMEOUT.message);
  });

  it('are recognised, and unknown errors count as retriable', () => {
    assert.ok(isHeraldError(new HeraldError('HERALD_TIMEOUT'), 'HERALD_TIMEOUT'));
    assert.ok(!isHeraldError(new HeraldError('HERALD_TIMEOUT'), 'HERALD_INTERNAL'));
    assert.ok(!isHeraldError(new Error('x')));
    assert.ok(isRetriable(new Error('x')));
  });

  it('logs expected failures on one line, and keeps the stack of the unexpected unless told not to', () => {
    assert.deepEqual(failureLogFields(new HeraldError('HERALD_DESTINATION_FAILED', 'x: HTTP 400')), {
      error: { code: 'HERALD_DESTINATION_FAILED', message: 'x: HTTP 400' },
    });
    const bug = new TypeError('undefined is not a function');
    assert.deepEqual(failureLogFields(bug), { err: bug });
    assert.deepEqual(failureLogFields(bug, { stack: false }), { error: { message: 'undefined is not a function' } });
    assert.deepEqual(failureLogFields('plain', { stack: false }), { error: { message: 'plain' } });
  });

  it('count programming and encoding errors as permanent, but not fetch network failures', () => {
    assert.equal(isRetriable(new TypeError('Headers.append: "a\\nb" is an invalid header value.')), false);
    assert.equal(isRetriable(new RangeError('Invalid string length')), false);
    assert.equal(isRetriable(new SyntaxError('Unexpected token')), false);
    assert.equal(isRetriable(new URIError('URI malformed')), false);
    const network = new TypeError('fetch failed', { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) });
    assert.equal(isRetriable(network), true);
  });
});
