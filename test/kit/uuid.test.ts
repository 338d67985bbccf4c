import assert from 'node:assert/strict';
import { it } from 'node:test';
import { uuidv7 } from '../../src/kit/uuid.ts';

it('uuidv7: version 7, RFC variant, the time first (ids sort by it), unique across the random pool refills', () => {
  const ids = Array.from({ length: 1_000 }, (_, i) => uuidv7(1_700_000_000_000 + i));
  for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.deepEqual([...ids].sort(), ids);
  assert.equal(new Set(ids).size, ids.length);
  assert.equal(ids[0].slice(0, 13).replace('-', ''), (1_700_000_000_000).toString(16).padStart(12, '0'));
  const sameMs = Array.from({ length: 600 }, () => uuidv7(5));
  assert.equal(new Set(sameMs).size, 600, 'ids of one millisecond differ in their random bits');
});
