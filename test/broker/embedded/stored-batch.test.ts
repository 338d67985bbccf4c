import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeBatch } from '../../../src/broker/embedded/kafka-protocol/records/encode-batch.ts';
import type { RecordRow } from '../../../src/broker/embedded/records.ts';
import { decodeStoredBatch } from '../../../src/broker/embedded/stored-batch.ts';
import type { Headers } from '../../../src/broker/port.ts';

function roundTrip(headers: (Headers | null)[]): (Headers | null)[] {
  const rows: RecordRow[] = headers.map((h, i) => [i, 1_000 + i, null, Buffer.from(`v${i}`), h]);
  const out: RecordRow[] = [];
  decodeStoredBatch(encodeBatch(rows, 0, undefined, 0, rows.length, false), 0, out, Number.MAX_SAFE_INTEGER);
  return out.map((row) => row[4]);
}

describe('stored batches: header texts', () => {
  it('reads each record its own headers, however little they differ from the record before', () => {
    const long = 'x'.repeat(200);
    const many = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`h${i}`, `v${i}`]));
    const headers: (Headers | null)[] = [
      { 'content-type': 'application/json', id: 'aaaa-0001' },
      { 'content-type': 'application/json', id: 'aaaa-0002' }, // the same length, the last byte differs
      { 'content-type': 'application/jsoN', id: 'aaaa-0002' }, // the same, one letter's case
      { 'content-typf': 'application/json', id: '' }, // a name that differs in its last byte, an empty value
      { 'content-type': 'é', id: 'ab' }, // as many bytes as a cached two-letter value, not ASCII
      { 'content-type': 'ab', id: 'é' },
      { 'content-type': '\u00e9', id: 'ab' },
      null,
      { 'content-type': long, id: `${long}y` },
      { 'content-type': long, id: `${long}z` },
      many,
      { ...many, h9: 'w9' },
      { h0: 'v0', 'content-type': 'application/json' }, // names in another order
    ];
    assert.deepEqual(roundTrip(headers), headers);
    assert.deepEqual(roundTrip(headers.toReversed()), headers.toReversed(), 'and in the other order');
  });
});
