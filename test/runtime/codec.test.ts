import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesCodec, jsonCodec, stringCodec } from '../../src/codec/index.ts';
import { type HeraldError, isHeraldError, isRetriable } from '../../src/errors.ts';

interface Order {
  id: string;
  amount: number;
}

const schema = {
  type: 'object',
  required: ['id', 'amount'],
  additionalProperties: false,
  properties: { id: { type: 'string', minLength: 1 }, amount: { type: 'number', exclusiveMinimum: 0 } },
};

function failsWith(code: 'HERALD_DECODE_FAILED' | 'HERALD_VALIDATION_FAILED', fn: () => unknown): HeraldError {
  let caught: unknown;
  assert.throws(fn, (err) => {
    caught = err;
    return isHeraldError(err, code);
  });
  assert.equal(isRetriable(caught), false, `${code} must not be retried`);
  return caught as HeraldError;
}

describe('jsonCodec', () => {
  const codec = jsonCodec<Order>(schema, { name: 'Order' });

  it('round-trips a valid value', () => {
    const bytes = codec.encode({ id: 'o-1', amount: 5 });
    assert.equal(bytes.toString(), '{"id":"o-1","amount":5}');
    assert.deepEqual(codec.decode(bytes), { id: 'o-1', amount: 5 });
  });

  it('decode: bytes that are not JSON fail as HERALD_DECODE_FAILED', () => {
    const err = failsWith('HERALD_DECODE_FAILED', () => codec.decode(Buffer.from('{nope')));
    assert.match(err.message, /^Order: not JSON/);
  });

  it('decode: JSON failing the schema fails with field details', () => {
    const err = failsWith('HERALD_DECODE_FAILED', () => codec.decode(Buffer.from('{"amount":-1,"x":1}')));
    const fields = (err.details as { field: string }[]).map((d) => d.field).sort();
    assert.deepEqual(fields, ['', 'amount', 'id']);
  });

  it('encode: a value failing the schema is refused before anything is written', () => {
    failsWith('HERALD_VALIDATION_FAILED', () => codec.encode({ id: '', amount: 1 }));
    failsWith('HERALD_VALIDATION_FAILED', () => jsonCodec().encode(undefined));
  });

  it('without a schema any JSON passes', () => {
    assert.deepEqual(jsonCodec().decode(Buffer.from('[1,"a",null]')), [1, 'a', null]);
  });
});

describe('raw codecs', () => {
  it('bytes and string', () => {
    const bytes = Buffer.from([0, 255]);
    assert.equal(bytesCodec.decode(bytesCodec.encode(bytes)), bytes);
    assert.equal(stringCodec.decode(stringCodec.encode('héllo')), 'héllo');
  });
});
