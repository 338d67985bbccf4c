import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AuthenticationError,
  MultipleErrors,
  NetworkError,
  ProtocolError,
  ResponseError,
  TimeoutError,
  UserError,
} from '@platformatic/kafka';
import { codeOf, toHeraldError } from '../../../src/broker/kafka/errors.ts';
import { type ERROR_CODES, HeraldError } from '../../../src/errors.ts';

/** The error a broker answer with one failed partition or topic becomes (API key 0 = Produce). */
function response(kafkaErrorCode: number): ResponseError {
  return new ResponseError(0, 11, { '/topics/0/partitions/0': [kafkaErrorCode, null] }, {});
}

/** What the library's retry loop reports after several attempts. */
function retried(...errors: Error[]): MultipleErrors {
  return new MultipleErrors(`produce failed ${errors.length} times.`, errors);
}

describe('kafka adapter: library errors to Herald codes', () => {
  const cases: [string, Error, keyof typeof ERROR_CODES][] = [
    ['TOPIC_ALREADY_EXISTS', response(36), 'HERALD_TOPIC_EXISTS'],
    ['UNKNOWN_TOPIC_OR_PARTITION', response(3), 'HERALD_TOPIC_NOT_FOUND'],
    ['unknown topic from metadata', new UserError('Unknown topic orders.'), 'HERALD_TOPIC_NOT_FOUND'],
    [
      'unknown topic, wrapped',
      new MultipleErrors('Listing offsets failed.', [new UserError('Unknown topic x.')]),
      'HERALD_TOPIC_NOT_FOUND',
    ],
    ['MESSAGE_TOO_LARGE', response(10), 'HERALD_PAYLOAD_TOO_LARGE'],
    ['RECORD_LIST_TOO_LARGE', response(18), 'HERALD_PAYLOAD_TOO_LARGE'],
    ['INVALID_REPLICATION_FACTOR', response(38), 'HERALD_INVALID_ARGUMENT'],
    ['INVALID_CONFIG', response(40), 'HERALD_INVALID_ARGUMENT'],
    ['POLICY_VIOLATION', response(44), 'HERALD_INVALID_ARGUMENT'],
    ['GROUP_ID_NOT_FOUND', response(69), 'HERALD_GROUP_NOT_FOUND'],
    ['REBALANCE_IN_PROGRESS', response(27), 'HERALD_REBALANCE_IN_PROGRESS'],
    ['ILLEGAL_GENERATION', response(22), 'HERALD_REBALANCE_IN_PROGRESS'],
    ['SASL_AUTHENTICATION_FAILED', response(58), 'HERALD_UNAUTHORIZED'],
    ['authentication error', new AuthenticationError('bad password'), 'HERALD_UNAUTHORIZED'],
    ['TOPIC_AUTHORIZATION_FAILED', response(29), 'HERALD_FORBIDDEN'],
    ['connection refused', new NetworkError('Connection to 127.0.0.1:1 failed.'), 'HERALD_BROKER_UNAVAILABLE'],
    ['connect timeout', new TimeoutError('Connection to 10.0.0.1:9092 timed out.'), 'HERALD_BROKER_UNAVAILABLE'],
    [
      'retries exhausted on a dead leader',
      retried(new NetworkError('a'), new NetworkError('b')),
      'HERALD_BROKER_UNAVAILABLE',
    ],
    ['NOT_LEADER_OR_FOLLOWER retried', retried(response(6), response(6)), 'HERALD_BROKER_UNAVAILABLE'],
    ['NOT_ENOUGH_REPLICAS', response(19), 'HERALD_BROKER_UNAVAILABLE'],
    ['client closed', new NetworkError('Client is closed.', { closed: true, canRetry: false }), 'HERALD_BROKER_CLOSED'],
    ['closed while retrying', new UserError('Client closed while retrying produce.'), 'HERALD_BROKER_CLOSED'],
    ['a protocol error Herald has no name for', new ProtocolError('INVALID_TXN_STATE'), 'HERALD_INTERNAL'],
    ['not an Error', 'boom' as unknown as Error, 'HERALD_INTERNAL'],
  ];
  for (const [what, error, code] of cases) {
    it(`${what} -> ${code}`, () => {
      assert.equal(codeOf(error), code);
    });
  }

  it('the most specific code wins when retries collected several errors', () => {
    assert.equal(codeOf(retried(new NetworkError('first'), response(36))), 'HERALD_TOPIC_EXISTS');
  });

  it('wraps with the code, its default retriability, a message saying what failed and the cause', () => {
    const cause = retried(new NetworkError('Connection to 127.0.0.1:1 failed.'));
    const err = toHeraldError(cause, 'send to orders');
    assert.ok(err instanceof HeraldError);
    assert.equal(err.code, 'HERALD_BROKER_UNAVAILABLE');
    assert.equal(err.retriable, true);
    assert.equal(err.cause, cause);
    assert.match(err.message, /^send to orders: produce failed 1 times\. \(Connection to 127\.0\.0\.1:1 failed\.\)$/);
    const exists = toHeraldError(response(36), 'create topic t');
    assert.equal(exists.code, 'HERALD_TOPIC_EXISTS');
    assert.equal(exists.retriable, false);
  });

  it('passes Herald errors through untouched', () => {
    const original = new HeraldError('HERALD_NOT_ASSIGNED');
    assert.equal(toHeraldError(original, 'commit'), original);
  });
});
