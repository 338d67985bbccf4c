import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc32c } from '../../../../src/broker/embedded/kafka-protocol/wire/crc32c.ts';
import { ProtocolError } from '../../../../src/broker/embedded/kafka-protocol/wire/errors.ts';
import { FrameDecoder } from '../../../../src/broker/embedded/kafka-protocol/wire/frames.ts';
import { Reader } from '../../../../src/broker/embedded/kafka-protocol/wire/reader.ts';
import { array, decode, encode, field, message, struct } from '../../../../src/broker/embedded/kafka-protocol/wire/schema.ts';
import { Writer } from '../../../../src/broker/embedded/kafka-protocol/wire/writer.ts';

describe('kafka wire primitives', () => {
  it('integers, varints and varlongs round-trip at their edges', () => {
    const ints = [0, 1, -1, 63, -64, 64, 300, 2 ** 31 - 1, -(2 ** 31)];
    const longs = [0, -1, 2 ** 40, -(2 ** 40), Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER];
    const w = new Writer(1);
    for (const v of ints) w.varint(v).int32(v);
    for (const v of longs) w.varint(v).int64(v);
    w.uvarint(0xffffffff).int16(-2).uint16(65_535).int8(-128).bool(true).float64(0.5);
    const r = new Reader(w.toBuffer());
    for (const v of ints) assert.deepEqual([r.varint(), r.int32()], [v, v]);
    for (const v of longs) assert.deepEqual([r.varlong(), r.int64()], [v, v]);
    assert.deepEqual([r.uvarint(), r.int16(), r.uint16(), r.int8(), r.bool(), r.float64()], [0xffffffff, -2, 65_535, -128, true, 0.5]);
    assert.equal(r.remaining, 0);
  });

  it('strings and bytes, classic and compact, null included', () => {
    const w = new Writer();
    w.string('héllo', false).string(null, false).string('x', true).string(null, true);
    w.bytes(Buffer.from([1, 2]), false).bytes(null, true).bytes(Buffer.alloc(2000, 7), true).uuid('00112233445566778899aabbccddeeff');
    const r = new Reader(w.toBuffer());
    assert.deepEqual([r.string(false), r.string(false), r.string(true), r.string(true)], ['héllo', null, 'x', null]);
    assert.deepEqual([r.bytes(false), r.bytes(true)], [Buffer.from([1, 2]), null]);
    assert.deepEqual(r.bytes(true), Buffer.alloc(2000, 7));
    assert.equal(r.uuid(), '00112233445566778899aabbccddeeff');
  });

  it('records given as parts are one length-prefixed byte string, the large parts sent as they are', () => {
    const big = Buffer.alloc(3000, 1);
    const parts = [Buffer.from([9, 8]), big, Buffer.alloc(1500, 2)];
    const byteLength = parts.reduce((n, p) => n + p.length, 0);
    const schema = message('0+', field('records', 'records', '0+', { nullable: '0+' }));
    for (const compact of [false, true]) {
      const w = new Writer();
      w.parts({ parts, byteLength }, compact);
      assert.deepEqual(new Reader(w.toBuffer()).bytes(compact), Buffer.concat(parts));
      assert.ok(new Writer().parts({ parts, byteLength }, compact).chunks().includes(big), 'the large part is not copied');
    }
    const w = new Writer();
    encode(schema, w, 0, { records: { parts, byteLength } });
    encode(schema, w, 0, { records: Buffer.from([5]) });
    const r = new Reader(w.toBuffer());
    assert.deepEqual(decode<{ records: Buffer }>(schema, r, 0).records, Buffer.concat(parts));
    assert.deepEqual(decode<{ records: Buffer }>(schema, r, 0).records, Buffer.from([5]), 'a Buffer is written as bytes');
  });

  it('lies and truncations throw ProtocolError, never RangeError', () => {
    const lying = new Writer().int32(1_000).toBuffer();
    assert.throws(() => new Reader(lying).arrayLength(false), ProtocolError);
    assert.throws(() => new Reader(Buffer.from([0, 5, 65])).string(false), ProtocolError);
    assert.throws(() => new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])).uvarint(), ProtocolError);
    // Five bytes, but 2^32: past 32 bits.
    assert.throws(() => new Reader(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x10])).uvarint(), /malformed varint/);
    assert.throws(() => new Reader(Buffer.from([0x05, 0x05]), 1, 1).uvarint(), /truncated/, 'a one-byte varint past the end');
    assert.throws(() => new Reader(Buffer.from([0x85]), 0).varlong(), /truncated/);
    assert.throws(() => new Reader(Buffer.from([0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])).int64(), ProtocolError);
    assert.throws(() => new Reader(Buffer.alloc(3)).int32(), ProtocolError);
    assert.throws(() => new Reader(new Writer().int32(-7).toBuffer()).arrayLength(false), ProtocolError);
  });

  it('the schema interpreter reads and writes fields by version, tagged fields only when flexible and set', () => {
    const schema = message(
      '3+',
      field('name', 'string', '0+'),
      field('added', 'int32', '2+', { default: -1 }),
      field('gone', 'int16', '0-1'),
      field('maybe', 'string', '1+', { nullable: '1+' }),
      field('items', array([field('id', 'int32', '0+'), field('note', 'string', '3+', { nullable: '3+', tag: 0 })]), '0+'),
      field('extra', struct(field('a', 'int8', '3+')), '3+', { tag: 1 }),
    );
    const value = { name: 'n', added: 5, gone: 9, maybe: null, items: [{ id: 1, note: 'hi' }, { id: 2 }], extra: { a: 3 } };
    for (const version of [0, 2, 3]) {
      const w = new Writer();
      encode(schema, w, version, value);
      const back = decode<typeof value>(schema, new Reader(w.toBuffer()), version);
      assert.equal(back.name, 'n');
      assert.equal(back.added, version >= 2 ? 5 : -1);
      assert.equal(back.gone, version <= 1 ? 9 : 0);
      assert.equal(back.maybe, null);
      assert.deepEqual(back.items.map((i) => i.id), [1, 2]);
      assert.deepEqual(back.items[0].note, version >= 3 ? 'hi' : null);
      assert.deepEqual(back.extra, version >= 3 ? { a: 3 } : { a: 0 });
    }
    // Unknown tagged fields are skipped.
    const w = new Writer().string('n', true).int32(1).string(null, true).uvarint(1).uvarint(0).uvarint(1);
    w.uvarint(2).uvarint(9).uvarint(3).raw(Buffer.from([1, 2, 3]));
    assert.equal(decode<{ name: string }>(schema, new Reader(w.toBuffer()), 3).name, 'n');
  });
});

describe('CRC-32C', () => {
  it('matches the standard check values', () => {
    assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
    assert.equal(crc32c(Buffer.alloc(32)), 0x8a9136aa);
    assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
    assert.equal(crc32c(Buffer.from('xx123456789yy'), 2, 11), 0xe3069283);
  });

  it('gives the same checksum whatever the alignment, range and kind of the bytes in memory', () => {
    const reference = (data: Uint8Array) => {
      let crc = -1;
      for (const byte of data) {
        crc ^= byte;
        for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
      }
      return (crc ^ -1) >>> 0;
    };
    const backing = Buffer.alloc(300);
    for (let i = 0; i < backing.length; i++) backing[i] = (i * 131 + 7) & 0xff;
    for (let offset = 0; offset < 8; offset++) {
      for (const length of [0, 1, 7, 8, 9, 63, 64, 257]) {
        const view = backing.subarray(offset, offset + length);
        assert.equal(crc32c(view), reference(view), `offset ${offset}, length ${length}`);
        assert.equal(crc32c(backing, offset, offset + length), reference(view), `range ${offset}–${offset + length}`);
        assert.equal(crc32c(new Uint8Array(view)), reference(view), `a plain Uint8Array of length ${length}`);
      }
    }
  });
});

describe('frame decoder', () => {
  const frame = (body: Buffer) => {
    const head = Buffer.alloc(4);
    head.writeInt32BE(body.length);
    return Buffer.concat([head, body]);
  };

  it('cuts frames out of arbitrary chunks, in order', () => {
    const bodies = [Buffer.from('first frame'), Buffer.alloc(0), Buffer.alloc(5000, 1), Buffer.from('x')];
    const stream = Buffer.concat(bodies.map(frame));
    for (const step of [1, 3, 7, 4096, stream.length]) {
      const decoder = new FrameDecoder(1 << 20);
      const out: Buffer[] = [];
      for (let at = 0; at < stream.length; at += step) out.push(...decoder.push(stream.subarray(at, at + step)));
      assert.deepEqual(out, bodies, `chunks of ${step}`);
      assert.equal(decoder.buffered, 0);
    }
  });

  it('refuses an oversized or negative size as soon as the size is read', () => {
    const decoder = new FrameDecoder(100);
    assert.throws(() => decoder.push(Buffer.from([0, 0, 0, 101])), /exceeds the limit of 100/);
    assert.throws(() => new FrameDecoder(100).push(Buffer.from([0xff, 0xff, 0xff, 0xfe])), /invalid/);
  });
});
