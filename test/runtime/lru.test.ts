import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LruCache } from '../../src/runtime/lru.ts';
import { deadLetterTopicName, dedupeTopicName, topicSafe } from '../../src/runtime/names.ts';

describe('LruCache', () => {
  it('evicts the least recently used beyond capacity and reports it', () => {
    const cache = new LruCache<string, number>(2);
    assert.deepEqual(cache.set('a', 1), []);
    assert.deepEqual(cache.set('b', 2), []);
    assert.equal(cache.get('a'), 1);
    assert.deepEqual(cache.set('c', 3), ['b']);
    assert.equal(cache.has('b'), false);
    assert.equal(cache.size, 2);
    assert.equal(cache.delete('a'), true);
    assert.equal(cache.size, 1);
  });
});

describe('topic names', () => {
  it('derives legal names from any topic and group', () => {
    assert.equal(deadLetterTopicName('orders', 'email'), 'orders.email.dlq');
    assert.equal(dedupeTopicName('sms group/1'), '__herald.dedupe.sms_group_1');
    const long = topicSafe('x'.repeat(300));
    assert.equal(long.length, 249);
    assert.notEqual(long, topicSafe(`${'x'.repeat(299)}y`));
  });
});
