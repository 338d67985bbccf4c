import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import zlib from 'node:zlib';
import { decompress, DecompressError } from '../../../../src/broker/embedded/kafka-protocol/records/compression/index.ts';
import { lz4Decompress } from '../../../../src/broker/embedded/kafka-protocol/records/compression/lz4.ts';
import { snappyDecompress } from '../../../../src/broker/embedded/kafka-protocol/records/compression/snappy.ts';
import { BatchError, decodeBatches } from '../../../../src/broker/embedded/kafka-protocol/records/batch.ts';
import { encodeBatch } from '../../../../src/broker/embedded/kafka-protocol/records/encode-batch.ts';
import { toHeraldHeaders } from '../../../../src/broker/embedded/kafka-protocol/records/headers.ts';
import { ProducerStates } from '../../../../src/broker/embedded/kafka-protocol/records/producer-states.ts';
import { KafkaError } from '../../../../src/broker/embedded/kafka-protocol/wire/errors.ts';
import { batch } from './batches.ts';

const vectors = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures/compression-vectors.json'), 'utf8')) as Record<string, string>;
const hex = (name: string) => Buffer.from(vectors[name], 'hex');
const MAX = 1 << 20;
const buf = (bytes: Uint8Array | null) => (bytes === null ? null : Buffer.from(bytes));

describe('decompression', () => {
  it('reads what the Java client libraries write: LZ4 frames, xerial-framed and raw snappy', () => {
    const text = hex('text');
    assert.deepEqual(lz4Decompress(hex('lz4'), MAX), text);
    assert.deepEqual(snappyDecompress(hex('xerial'), MAX), text);
    assert.deepEqual(snappyDecompress(hex('snappy'), MAX), text);
    assert.deepEqual(decompress(1, zlib.gzipSync(text), MAX), text);
    assert.deepEqual(decompress(4, zlib.zstdCompressSync(text), MAX), text);
  });

  it('overlapping back-references repeat their bytes', () => {
    // "ab" then a copy of 10 from 2 back: "abababababab".
    const snappy = Buffer.from([12, 0x04, 0x61, 0x62, 0x01 | ((10 - 4) << 2), 2]);
    assert.equal(snappyDecompress(snappy, MAX).toString(), 'abababababab');
    const block = Buffer.from([0x26, 0x61, 0x62, 0x02, 0x00, 0x10, 0x78]); // "ab", copy 10 from 2 back, then "x"
    const frame = Buffer.concat([Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82]), u32le(block.length), block, u32le(0)]);
    assert.equal(lz4Decompress(frame, MAX).toString(), 'abababababab' + 'x');
  });

  it('garbage, truncation and output beyond the bound are DecompressErrors', () => {
    const text = hex('text');
    for (const [codec, data] of [
      [2, hex('snappy').subarray(0, 30)],
      [2, Buffer.from([10, 0x01 | (3 << 2), 200])],
      [3, hex('lz4').subarray(0, 20)],
      [3, Buffer.from('not an lz4 frame')],
      [1, Buffer.from('not gzip')],
      [4, Buffer.from('not zstd')],
      [7, text],
    ] as const) {
      assert.throws(() => decompress(codec, data, MAX), DecompressError, `codec ${codec}`);
    }
    for (const codec of [1, 2, 3, 4]) {
      const packed = codec === 1 ? zlib.gzipSync(text) : codec === 4 ? zlib.zstdCompressSync(text) : codec === 2 ? hex('xerial') : hex('lz4');
      assert.throws(() => decompress(codec, packed, 100), DecompressError, `bound of codec ${codec}`);
    }
  });
});

function u32le(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

describe('record batches', () => {
  it('encode then decode gives the same records, offsets with gaps and negative time deltas included', () => {
    const records = [
      { offset: 10, timestamp: 5_000, key: Buffer.from('k'), value: Buffer.from('v'), headers: [[Buffer.from('h'), Buffer.from('1')]] as [Buffer, Buffer][] },
      { offset: 12, timestamp: 4_000, key: null, value: null, headers: null },
      { offset: 13, timestamp: 9_000, key: Buffer.alloc(0), value: Buffer.alloc(300, 1), headers: null },
    ];
    const rows = records.map((r) => [r.offset, r.timestamp, r.key, r.value, r.headers] as const);
    const [decoded] = decodeBatches(encodeBatch(rows), MAX);
    assert.equal(decoded.baseOffset, 10);
    assert.equal(decoded.lastOffsetDelta, 3);
    assert.equal(decoded.maxTimestamp, 9_000);
    assert.equal(decoded.producerId, -1);
    assert.deepEqual(
      decoded.records.map((r) => [
        decoded.baseOffset + r.offsetDelta,
        r.timestamp,
        buf(r.key),
        buf(r.value),
        r.headers.map(([n, v]) => [buf(n), buf(v)]),
      ]),
      records.map((r) => [r.offset, r.timestamp, r.key, r.value, r.headers ?? []]),
    );
  });

  it('text headers keep their UTF-8: ASCII, accented, emoji, and values longer than the short-string path', () => {
    const headers = { 'herald-event-id': 'abc', 'naïve-é': 'café ☕ 😀', long: 'x'.repeat(70) + 'é' };
    const [decoded] = decodeBatches(encodeBatch([[0, 1_000, null, Buffer.from('v'), headers]]), MAX);
    assert.deepEqual(
      decoded.records[0].headers.map(([n, v]) => [buf(n)!.toString('utf8'), buf(v)!.toString('utf8')]),
      Object.entries(headers),
    );
  });

  it('a text header that is not ASCII after ASCII ones (sized by characters first) is encoded exactly', () => {
    const ascii = { 'herald-event-id': '019aef2c-1d2e-7abc-8def-0123456789ab', 'herald-received-at': '1765036800000' };
    const rows = [
      [0, 1_000, null, Buffer.from('a'), ascii],
      [1, 1_000, null, Buffer.from('b'), { ...ascii, 'x-note': 'déjà vu' }],
      [2, 1_000, null, Buffer.from('c'), { 'naïve': 'v', lone: 'x\ud800y' }],
      [3, 1_000, null, Buffer.from('d'), ascii],
    ] as const;
    const data = encodeBatch(rows);
    const [decoded] = decodeBatches(data, MAX);
    assert.equal(data.length, 12 + data.readInt32BE(8), 'the batch length covers exactly its bytes');
    assert.deepEqual(
      decoded.records.map((r) => Object.fromEntries(r.headers.map(([n, v]) => [buf(n)!.toString('utf8'), buf(v)!.toString('utf8')]))),
      [ascii, { ...ascii, 'x-note': 'déjà vu' }, { 'naïve': 'v', lone: 'x\ufffdy' }, ascii],
    );
  });

  it('several batches in one records field; compressed ones too', () => {
    const data = Buffer.concat([batch([{ value: 'a' }]), batch([{ value: 'b' }, { value: 'c' }], { compression: 1 })]);
    const decoded = decodeBatches(data, MAX);
    assert.deepEqual(decoded.map((b) => b.records.map((r) => buf(r.value)?.toString())), [['a'], ['b', 'c']]);
    assert.equal(decoded[1].compression, 1);
  });

  it('a corrupt batch is a BatchError with the code Kafka would answer', () => {
    const code = (data: Buffer) => {
      try {
        decodeBatches(data, MAX);
      } catch (err) {
        assert.ok(err instanceof BatchError);
        return err.code;
      }
      return KafkaError.NONE;
    };
    const good = batch([{ value: 'x' }]);
    assert.equal(code(good.subarray(0, 40)), KafkaError.CORRUPT_MESSAGE);
    const badCount = Buffer.from(good);
    badCount.writeInt32BE(2, 57);
    assert.equal(code(badCount), KafkaError.CORRUPT_MESSAGE, 'the CRC covers the count');
    const badLength = Buffer.from(good);
    badLength.writeInt32BE(1 << 30, 8);
    assert.equal(code(badLength), KafkaError.CORRUPT_MESSAGE);
  });
});

describe('headers', () => {
  it('UTF-8 text passes both ways; anything else is refused', () => {
    const pairs: [Buffer, Buffer | null][] = [[Buffer.from('trace'), Buffer.from('ü-1')], [Buffer.from('__proto__'), Buffer.from('p')]];
    const headers = toHeraldHeaders(pairs)!;
    assert.deepEqual(Object.entries(headers), [['trace', 'ü-1'], ['__proto__', 'p']]);
    const [decoded] = decodeBatches(encodeBatch([[0, 0, null, null, headers]]), MAX);
    assert.deepEqual(decoded.records[0].headers.map(([n, v]) => [buf(n), buf(v)]), pairs);
    assert.equal(toHeraldHeaders([]), undefined);
    assert.throws(() => toHeraldHeaders([[Buffer.from([0xff]), Buffer.from('v')]]), /name is not valid UTF-8/);
    assert.throws(() => toHeraldHeaders([[Buffer.from('n'), null]]), /null value/);
  });
});

describe('producer states', () => {
  it('ids are unique across restarts; unknown producers are accepted at any sequence', () => {
    const first = new ProducerStates(1_000);
    const later = new ProducerStates(2_000);
    const a = first.init(-1, -1);
    const b = later.init(-1, -1);
    assert.ok('producerId' in a && 'producerId' in b && b.producerId > a.producerId);
    assert.equal(later.check(a.producerId, 0, 57, 3, 1).kind, 'append', 'a producer from before a restart');
  });

  it('sequence numbers wrap around after 2^31 - 1', () => {
    const states = new ProducerStates();
    const verdict = states.check(7, 0, 2_147_483_646, 2, 1);
    assert.equal(verdict.kind, 'append');
    if (verdict.kind === 'append') verdict.commit(Promise.resolve(0));
    assert.equal(states.check(7, 0, 0, 1, 1).kind, 'append');
  });

  it('forgets a producer idle past the expiry, least recently used first, and keeps the recent ones', (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: 0 });
    const states = new ProducerStates();
    const append = (producerId: number) => {
      const verdict = states.check(producerId, 0, 0, 1, 1);
      assert.equal(verdict.kind, 'append');
      if (verdict.kind === 'append') verdict.commit(Promise.resolve(0));
    };
    const day = 24 * 60 * 60 * 1000;
    append(1);
    t.mock.timers.tick(day / 2);
    append(2);
    t.mock.timers.tick(day / 2);
    states.expire(Date.now() + 1);
    assert.equal(states.check(2, 0, 0, 1, 1).kind, 'duplicate', 'producer 2, idle half a day: a retry is still told apart');
    assert.equal(states.check(1, 0, 0, 1, 1).kind, 'append', 'producer 1, idle for a day: forgotten');
  });

  it('a failed append leaves no trace: its retry is appended', async () => {
    const states = new ProducerStates();
    const first = states.check(7, 0, 0, 1, 1);
    assert.equal(first.kind, 'append');
    const failed = Promise.reject(new Error('disk full'));
    if (first.kind === 'append') first.commit(failed);
    await failed.catch(() => {});
    assert.equal(states.check(7, 0, 0, 1, 1).kind, 'append');
  });
});
