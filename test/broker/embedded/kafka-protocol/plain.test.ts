import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BatchError, decodeBatches, type IncomingBatch } from '../../../../src/broker/embedded/kafka-protocol/records/batch.ts';
import { encodeBatch } from '../../../../src/broker/embedded/kafka-protocol/records/encode-batch.ts';
import { crc32c } from '../../../../src/broker/embedded/kafka-protocol/wire/crc32c.ts';
import { prng } from '../../../support/prng.ts';
import { batch, type TestRecord } from './batches.ts';

const MAX = 1 << 20;

/** What the full decoder says the writer needs of a batch, when its records are plain; else `undefined`. */
function plainByDecoding(decoded: IncomingBatch) {
  const records = decoded.records;
  if (decoded.compression !== 0 || records.length === 0) return undefined;
  let size = 0;
  let maxTimestamp = -1;
  let nullKeys = false;
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    if (r.offsetDelta !== i || r.timestamp < 0 || r.headers.length > 0) return undefined;
    size += (r.key?.byteLength ?? 0) + (r.value?.byteLength ?? 0);
    if (r.key === null) nullKeys = true;
    if (r.timestamp > maxTimestamp) maxTimestamp = r.timestamp;
  }
  return { count: records.length, size, maxTimestamp, nullKeys };
}

/** The batch's CRC made right again after its bytes were changed, so that only the records' bytes are tested. */
function withCrc(data: Buffer): Buffer {
  if (data.length >= 61) data.writeUInt32BE(crc32c(data, 21, data.length), 17);
  return data;
}

describe('plain record batches: summed up without decoding', () => {
  it('gives the count, key and value bytes, largest timestamp and null keys; records decode when read', () => {
    const records: TestRecord[] = [
      { key: 'k1', value: 'a'.repeat(200), timestamp: 5_000 },
      { key: null, value: null, timestamp: 9_000 },
      { key: Buffer.alloc(0), value: 'b', timestamp: 7_000 },
    ];
    const [scanned] = decodeBatches(batch(records), MAX, true);
    assert.deepEqual(scanned.plain, { count: 3, size: 2 + 200 + 1, maxTimestamp: 9_000, nullKeys: true });
    const [decoded] = decodeBatches(batch(records), MAX);
    assert.equal(decoded.plain, undefined, 'only when asked for');
    assert.deepEqual(scanned.records, decoded.records, 'the records of a summed-up batch decode on first read');
  });

  it('reads varints of every length: values past 16 KiB and 2 MiB, timestamps far from the base, a length past 32 bits', () => {
    const records: TestRecord[] = [
      { key: 'k'.repeat(20_000), value: 'v'.repeat(3_000_000), timestamp: 1_000 },
      { key: null, value: 'w', timestamp: 1_000 + 2 ** 40 },
      { key: 'k', value: null, timestamp: 1_000 + 2 ** 20 },
    ];
    const data = batch(records);
    const [scanned] = decodeBatches(data, 1 << 23, true);
    assert.deepEqual(scanned.plain, { count: 3, size: 20_000 + 3_000_000 + 1 + 1, maxTimestamp: 1_000 + 2 ** 40, nullKeys: true });
    // A null key's length (-1, the byte 0x01) written as the 5-byte varint 2^33 + 1 instead, which zig-zags to a
    // negative number past 32 bits: the decoder refuses it, so the scan must not read it as a null key.
    const small = batch([{ key: null, value: 'b', timestamp: Date.now() }]);
    assert.deepEqual([...small.subarray(62, 66)], [0, 0, 0, 1], 'attributes, timestamp and offset deltas, key length');
    const huge = Buffer.concat([small.subarray(0, 65), Buffer.from([0x81, 0x80, 0x80, 0x80, 0x20]), small.subarray(66)]);
    huge.writeInt32BE(huge.length - 12, 8);
    huge[61] += 8; // the record's length varint (one byte here), 4 bytes longer: zig-zag adds 8
    assert.throws(() => decodeBatches(withCrc(huge), MAX, true), BatchError, 'not summed up: the full decoder refuses it');
  });

  it('is not used for headers, offset gaps, records without a timestamp, compression or an empty batch', () => {
    const plain = (data: Buffer) => decodeBatches(data, MAX, true)[0].plain;
    assert.equal(plain(batch([{ value: 'v', headers: [['h', '1']] }])), undefined);
    assert.equal(plain(encodeBatch([[0, 1, null, Buffer.from('a'), null], [2, 1, null, Buffer.from('b'), null]])), undefined);
    assert.equal(plain(batch([{ value: 'v', timestamp: -1 }])), undefined);
    assert.equal(plain(batch([{ value: 'v' }], { compression: 1 })), undefined);
    const empty = Buffer.from(encodeBatch([[0, 1, null, null, null]]).subarray(0, 61));
    empty.writeInt32BE(49, 8);
    empty.writeInt32BE(0, 57);
    assert.equal(plain(withCrc(empty)), undefined);
  });

  it('agrees with the full decoder on random and mutated batches: never a summary the decoder would refuse or read differently', () => {
    const random = prng(0x9a17);
    const pick = (n: number) => Math.floor(random() * n);
    let summed = 0;
    let refused = 0;
    for (let round = 0; round < 3_000; round++) {
      const records: TestRecord[] = Array.from({ length: 1 + pick(6) }, () => ({
        key: random() < 0.2 ? null : 'k'.repeat(pick(20)),
        value: random() < 0.1 ? null : Buffer.alloc(pick(300), pick(256)),
        timestamp: random() < 0.05 ? -1 : 1_700_000_000_000 + pick(100_000),
        ...(random() < 0.1 ? { headers: [['h', 'v']] as [string, string][] } : {}),
      }));
      const data = Buffer.from(batch(records));
      // Mutate the records' bytes (after the 61-byte header) most of the time: flips, truncation, or extra bytes.
      const kind = pick(4);
      let mutated = data;
      if (kind === 1) for (let m = 0; m < 1 + pick(3); m++) mutated[61 + pick(mutated.length - 61)] = pick(256);
      if (kind === 2) mutated = Buffer.from(mutated.subarray(0, 61 + pick(mutated.length - 61)));
      if (kind === 3) mutated = Buffer.concat([mutated, Buffer.from([pick(256)])]);
      mutated.writeInt32BE(mutated.length - 12, 8);
      withCrc(mutated);
      let full: IncomingBatch | undefined;
      try {
        [full] = decodeBatches(mutated, MAX);
      } catch (err) {
        assert.ok(err instanceof BatchError);
      }
      let scanned: IncomingBatch | undefined;
      try {
        [scanned] = decodeBatches(mutated, MAX, true);
      } catch (err) {
        assert.ok(err instanceof BatchError);
        assert.equal(full, undefined, 'refused only what the full decoder refuses');
        refused++;
        continue;
      }
      assert.ok(full !== undefined, 'accepted only what the full decoder accepts');
      if (scanned!.plain !== undefined) {
        summed++;
        assert.deepEqual(scanned!.plain, plainByDecoding(full));
      } else if (plainByDecoding(full) !== undefined) {
        // The one plain case left to the decoder: a timestamp delta of 2^48 ms or more (8+ varlong bytes).
        assert.ok(full.records.some((r) => Math.abs(r.timestamp - full.records[0].timestamp) >= 2 ** 47), 'plain records are summed up');
      }
    }
    assert.ok(summed > 300 && refused > 300, `both cases drawn (${summed} summed up, ${refused} refused)`);
  });
});
