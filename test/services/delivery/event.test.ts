/** The source record of an event: the same bytes whether the payload's JSON comes with it or not. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { newEventId, sourceRecord, type SourceEvent } from '../../../services/delivery/event.ts';

it('a source record assembled around the payload JSON is byte for byte the event stringified', () => {
  const payloads = [null, 0, -1.5e-7, 'text "quoted" \\ \n', [1, 'x', { y: null }], { deep: { er: true }, é: '😀\u2028' }];
  const userIds = ['alice', 'quote " back \\ slash', 'ünïcode ☕', 'line\u2028sep'];
  for (const payload of payloads) {
    for (const userId of userIds) {
      const event: SourceEvent = { id: newEventId(1_700_000_000_000), userId, payload, receivedAt: '2026-12-06T16:00:00.000Z' };
      const whole = sourceRecord('t', event, 1_700_000_000_000, 'req-1');
      const assembled = sourceRecord('t', event, 1_700_000_000_000, 'req-1', JSON.stringify(payload));
      assert.deepEqual(assembled, whole, JSON.stringify({ payload, userId }));
      assert.equal(assembled.value!.toString('utf8'), JSON.stringify(event));
    }
  }
});
