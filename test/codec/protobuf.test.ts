import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { describe, it } from 'node:test';
import { protobufCodec } from '../../src/codec/index.ts';
import { frameConfluent, unframeConfluent } from '../../src/codec/protobuf-framing.ts';
import { isHeraldError, isRetriable } from '../../src/errors.ts';
import { SampleSchema } from '../../src/gen/herald/testing/v1/sample_pb.ts';
import { DepositSchema } from '../../src/gen/herald/wallet/v1/wallet_pb.ts';

const sample = create(SampleSchema, {
  name: 'héllo',
  count: 9_007_199_254_740_993n,
  ratio: 0.25,
  enabled: true,
  blob: new Uint8Array([0, 1, 255]),
  tags: ['a', 'b'],
  inner: { id: 7 },
  scores: { x: -3 },
});

function decodeFails(fn: () => unknown): void {
  assert.throws(fn, (err) => isHeraldError(err, 'HERALD_DECODE_FAILED') && !isRetriable(err));
}

describe('protobufCodec', () => {
  it('round-trips every field kind, 64-bit integers exactly', () => {
    const codec = protobufCodec(SampleSchema);
    assert.equal(codec.name, 'protobuf:herald.testing.v1.Sample');
    const back = codec.decode(codec.encode(sample));
    assert.deepEqual(back, sample);
    assert.equal(back.count, 9_007_199_254_740_993n);
  });

  it('writes the plain binary encoding (readable by any protobuf library)', () => {
    const codec = protobufCodec(DepositSchema);
    const bytes = codec.encode(create(DepositSchema, { walletId: 'w', amount: 5n }));
    // field 1 (len-delimited) "w", field 2 (varint) 5
    assert.deepEqual([...bytes], [0x0a, 0x01, 0x77, 0x10, 0x05]);
  });

  it('reads missing fields as defaults and skips unknown ones (schema evolution)', () => {
    const codec = protobufCodec(DepositSchema);
    assert.equal(codec.decode(Buffer.alloc(0)).amount, 0n);
    const withUnknown = Buffer.from([0x0a, 0x01, 0x77, 0x78, 0x01]); // field 15 varint 1
    assert.equal(codec.decode(withUnknown).walletId, 'w');
  });

  it('refuses bytes that are not a message of the type', () => {
    const codec = protobufCodec(DepositSchema);
    decodeFails(() => codec.decode(Buffer.from([0x0a, 0x05, 0x77]))); // length past the end
    decodeFails(() => codec.decode(Buffer.from([0x0f]))); // wire type 7 does not exist
  });

  it('refuses to encode a value of the wrong shape', () => {
    const codec = protobufCodec(DepositSchema);
    const bad = { ...create(DepositSchema), amount: 'lots' } as unknown as ReturnType<typeof codec.decode>;
    assert.throws(() => codec.encode(bad), (err) => isHeraldError(err, 'HERALD_VALIDATION_FAILED'));
  });
});

describe('Confluent framing', () => {
  const deposit = create(DepositSchema, { walletId: 'w-1', amount: 350n });

  it('writes magic byte, big-endian schema id and the single-byte index path, then the message', () => {
    const codec = protobufCodec(DepositSchema, { confluent: { schemaId: 0x01020304 } });
    const bytes = codec.encode(deposit);
    assert.deepEqual([...bytes.subarray(0, 6)], [0, 1, 2, 3, 4, 0]);
    assert.deepEqual(bytes.subarray(6), protobufCodec(DepositSchema).encode(deposit));
    assert.deepEqual(codec.decode(bytes), deposit);
  });

  it('carries a nested message-index path as zigzag varints', () => {
    const framed = frameConfluent(7, [1, 200], new Uint8Array([9]));
    assert.deepEqual([...framed.subarray(5)], [4, 2, 0x90, 0x03, 9]);
    const frame = unframeConfluent(framed, 'x');
    assert.deepEqual(frame.messageIndexes, [1, 200]);
    assert.equal(frame.schemaId, 7);
    assert.deepEqual([...frame.body], [9]);
  });

  it('refuses a wrong magic byte, a short header, a truncated index path and an unexpected schema id', () => {
    const codec = protobufCodec(DepositSchema, { confluent: { schemaId: 5 } });
    const good = codec.encode(deposit);
    decodeFails(() => codec.decode(Buffer.concat([Buffer.from([1]), good.subarray(1)])));
    decodeFails(() => codec.decode(good.subarray(0, 4)));
    decodeFails(() => codec.decode(Buffer.from([0, 0, 0, 0, 5, 0x04])));
    decodeFails(() => codec.decode(Buffer.from([0, 0, 0, 0, 5, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01])));
    const other = protobufCodec(DepositSchema, { confluent: { schemaId: 6 } }).encode(deposit);
    decodeFails(() => codec.decode(other));
    const lenient = protobufCodec(DepositSchema, { confluent: { schemaId: 5, acceptSchemaIds: 'any' } });
    assert.deepEqual(lenient.decode(other), deposit);
    const listed = protobufCodec(DepositSchema, { confluent: { schemaId: 5, acceptSchemaIds: [6] } });
    assert.deepEqual(listed.decode(other), deposit);
  });

  it('refuses a schema id that does not fit 32 bits', () => {
    assert.throws(
      () => protobufCodec(DepositSchema, { confluent: { schemaId: 2 ** 32 } }),
      (err) => isHeraldError(err, 'HERALD_INVALID_ARGUMENT'),
    );
  });
});
