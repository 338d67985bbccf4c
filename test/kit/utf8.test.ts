import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { utf8Length, writeUtf8 } from '../../src/kit/utf8.ts';

describe('utf8', () => {
  it('measures and writes as Buffer does: ASCII, two-, three- and four-byte characters, lone surrogates, long text', () => {
    const samples = ['', 'trace-id', 'é', 'ü-1', '€uro', '😀 ok', 'a\ud800b', '\udc00', 'x'.repeat(65), `${'ä'.repeat(40)}😀`];
    for (const text of samples) {
      const expected = Buffer.from(text, 'utf8');
      assert.equal(utf8Length(text), expected.length, JSON.stringify(text));
      const buf = Buffer.alloc(expected.length + 2, 0xaa);
      assert.equal(writeUtf8(buf, 1, text, expected.length), 1 + expected.length);
      assert.deepEqual(buf.subarray(1, 1 + expected.length), expected, JSON.stringify(text));
      assert.equal(buf[0], 0xaa);
    }
  });
});
