import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deadLetterTopicName, dedupeTopicName, topicSafe } from '../../src/runtime/names.ts';

describe('topic names', () => {
  it('derives legal names from any topic and group', () => {
    assert.equal(deadLetterTopicName('orders', 'email'), 'orders.email.dlq');
    assert.equal(dedupeTopicName('sms group/1'), '__herald.dedupe.sms_group_1');
    const long = topicSafe('x'.repeat(300));
    assert.equal(long.length, 249);
    assert.notEqual(long, topicSafe(`${'x'.repeat(299)}y`));
  });
});
