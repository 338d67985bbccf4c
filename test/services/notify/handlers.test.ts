import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { channelHandler, oneAtATimePerId } from '../../../services/notify/handlers.ts';
import type { Notification } from '../../../services/notify/topics.ts';
import type { Message } from '../../../src/runtime/message.ts';

const fake = (id: string) =>
  ({
    value: { request_id: id, transaction_id: 't' } as Notification,
    logger: pino({ level: 'silent' }),
  }) as unknown as Message<Notification>;

test('oneAtATimePerId runs records with one id in turn and others side by side', async () => {
  const events: string[] = [];
  const gates = new Map<string, () => void>();
  const wrap = oneAtATimePerId<Notification>((m) => m.value.request_id);
  let n = 0;
  const handler = wrap(async (m) => {
    const tag = `${m.value.request_id}#${++n}`;
    events.push(`start ${tag}`);
    await new Promise<void>((resolve) => gates.set(tag, resolve));
    events.push(`end ${tag}`);
    if (tag === 'a#1') throw new Error('first fails');
  });
  const first = handler(fake('a')).catch((e: Error) => e.message);
  const second = handler(fake('a'));
  const third = handler(fake('a'));
  const other = handler(fake('b'));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(events, ['start a#1', 'start b#2']);
  gates.get('a#1')!();
  assert.equal(await first, 'first fails');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(events.slice(2), ['end a#1', 'start a#3']);
  gates.get('a#3')!();
  await new Promise((resolve) => setImmediate(resolve));
  gates.get('a#4')!();
  gates.get('b#2')!();
  await Promise.all([second, third, other]);
  assert.equal(events.filter((e) => e.startsWith('start a')).length, 3);
});

test('channelHandler sends the decoded notification and propagates failures untouched', async () => {
  const sent: string[] = [];
  const ok = channelHandler('email', { send: async (n) => void sent.push(n.request_id) });
  await ok(fake('r1'));
  assert.deepEqual(sent, ['r1']);
  const failure = new Error('smtp down');
  const failing = channelHandler('sms', {
    send: async () => {
      throw failure;
    },
  });
  await assert.rejects(failing(fake('r2')), (err) => err === failure);
});
