import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ERROR_CODES, HeraldError, isHeraldError, isRetriable } from '../src/errors.ts';
import { statusOf } from '../src/http/errors.ts';

describe('error codes', () => {
  it('are exactly this list (renaming or removing one breaks users)', () => {
    assert.deepEqual(Object.keys(ERROR_CODES).sort(), [
      'HERALD_BROKER_CLOSED',
      'HERALD_BROKER_UNAVAILABLE',
      'HERALD_CONFIG_INVALID',
      'HERALD_COPARTITION_MISMATCH',
      'HERALD_DATA_DIR_LOCKED',
      'HERALD_DECODE_FAILED',
      'HERALD_DESTINATION_FAILED',
      'HERALD_FENCED',
      'HERALD_FORBIDDEN',
      'HERALD_GROUP_NOT_FOUND',
      'HERALD_HANDLER_FAILED',
      'HERALD_INTERNAL',
      'HERALD_INVALID_ARGUMENT',
      'HERALD_NOT_ASSIGNED',
      'HERALD_NOT_FOUND',
      'HERALD_OFFSET_OUT_OF_RANGE',
      'HERALD_PARTITION_OUT_OF_RANGE',
      'HERALD_PAYLOAD_TOO_LARGE',
      'HERALD_REBALANCE_IN_PROGRESS',
      'HERALD_ROUTE_NOT_FOUND',
      'HERALD_SHUTTING_DOWN',
      'HERALD_STATE_CORRUPT',
      'HERALD_STORAGE_FAILED',
      'HERALD_TIMEOUT',
      'HERALD_TOPIC_EXISTS',
      'HERALD_TOPIC_NOT_FOUND',
      'HERALD_TOPOLOGY_INVALID',
      'HERALD_UNAUTHORIZED',
      'HERALD_VALIDATION_FAILED',
    ]);
  });

  it('carry code, retriable and cause', () => {
    const cause = new Error('socket closed');
    const err = new HeraldError('HERALD_BROKER_UNAVAILABLE', 'broker down', { cause });
    assert.equal(err.code, 'HERALD_BROKER_UNAVAILABLE');
    assert.equal(err.retriable, true);
    assert.equal(err.cause, cause);
    assert.equal(new HeraldError('HERALD_DECODE_FAILED').retriable, false);
    assert.equal(new HeraldError('HERALD_DESTINATION_FAILED', 'x', { retriable: false }).retriable, false);
    assert.equal(new HeraldError('HERALD_TIMEOUT').message, ERROR_CODES.HERALD_TIMEOUT.message);
  });

  it('are recognised, and unknown errors count as retriable', () => {
    assert.ok(isHeraldError(new HeraldError('HERALD_TIMEOUT'), 'HERALD_TIMEOUT'));
    assert.ok(!isHeraldError(new HeraldError('HERALD_TIMEOUT'), 'HERALD_INTERNAL'));
    assert.ok(!isHeraldError(new Error('x')));
    assert.ok(isRetriable(new Error('x')));
    assert.ok(!isRetriable(new HeraldError('HERALD_VALIDATION_FAILED')));
  });

  it('map to HTTP statuses in one place', () => {
    assert.equal(statusOf('HERALD_VALIDATION_FAILED'), 400);
    assert.equal(statusOf('HERALD_TOPIC_NOT_FOUND'), 404);
    assert.equal(statusOf('HERALD_TOPIC_EXISTS'), 409);
    assert.equal(statusOf('HERALD_PAYLOAD_TOO_LARGE'), 413);
    assert.equal(statusOf('HERALD_BROKER_UNAVAILABLE'), 503);
    assert.equal(statusOf('HERALD_INTERNAL'), 500);
    for (const code of Object.keys(ERROR_CODES) as (keyof typeof ERROR_CODES)[]) {
      assert.ok(statusOf(code) >= 400 && statusOf(code) < 600, code);
    }
  });
});
