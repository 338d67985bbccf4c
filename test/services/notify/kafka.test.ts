/** notify on a real Apache Kafka node: partitioning, delivery, dead letters and replay. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { type TestContext, test } from 'node:test';
import { notifyService } from '../../../services/notify/index.ts';
import { partitionForKey } from '../../../src/broker/partitioner.ts';
import { bootHerald, request } from '../../support/boot.ts';
import { kafkaSingle } from '../../support/kafka.ts';
import { eventually, notification, peerFlags, produce, produceAll } from './helpers.ts';
import { startPeers } from './peers.ts';

async function bootOnKafka(t: TestContext) {
  const servers = await kafkaSingle(t);
  if (servers === undefined) return undefined;
  const { smtp, sms } = await startPeers(t);
  const topic = `notify-kafka-${randomUUID().slice(0, 8)}`;
  const herald = await bootHerald(
    t,
    {
      ...peerFlags(smtp, sms),
      'broker.url': `kafka://${servers.join(',')}`,
      'notify.subscriptions': JSON.stringify({ email: [topic], sms: [topic] }),
      'notify.groupPrefix': topic,
      'notify.partitions': '3',
    },
    [notifyService],
  );
  t.after(async () => {
    for (const name of [topic, `${topic}.${topic}-email.dlq`])
      await herald.broker.admin.deleteTopic(name).catch(() => {});
  });
  return { herald, smtp, sms, topic };
}

test('kafka: key, spread and explicit partition; both channels deliver once', { timeout: 120_000 }, async (t) => {
  const s = await bootOnKafka(t);
  if (!s) return;
  const keyed = await produce(s.herald.url, notification(s.topic, { key: 'customer-7' }));
  assert.equal(keyed.status, 201, JSON.stringify(keyed.body));
  assert.equal(keyed.body.partition, partitionForKey(Buffer.from('customer-7'), 3));
  const pinned = await produce(s.herald.url, notification(s.topic, { key: 'customer-7', partition: 2 }));
  assert.equal(pinned.body.partition, 2);
  const [stored] = await s.herald.broker.admin.read({ topic: s.topic, partition: 2, offset: pinned.body.offset }, 1);
  assert.equal(stored.key?.toString(), 'customer-7');
  const partitions = new Set<number>();
  const ids = [keyed.body.request_id, pinned.body.request_id];
  for (let i = 0; i < 9; i++) {
    const { status, body } = await produce(s.herald.url, notification(s.topic));
    assert.equal(status, 201);
    partitions.add(body.partition);
    ids.push(body.request_id);
  }
  assert.ok(partitions.size > 1, 'records without a key are spread');
  assert.equal((await produce(s.herald.url, notification(s.topic, { partition: 3 }))).status, 400);
  await s.smtp.waitFor(ids);
  await s.sms.waitFor(ids);
  assert.deepEqual(s.smtp.duplicates(), []);
  assert.deepEqual(s.sms.duplicates(), []);
});

test('kafka: a refused address goes to the dead-letter topic and is delivered once replayed', {
  timeout: 120_000,
}, async (t) => {
  const s = await bootOnKafka(t);
  if (!s) return;
  const refused = notification(s.topic, { email: 'ghost@rejected.example' });
  await produceAll(s.herald.url, [refused]);
  await s.sms.waitFor([refused.request_id]);
  const dlq = `${s.topic}.${s.topic}-email.dlq`;
  await eventually(async () => {
    const { status, body } = await request(`${s.herald.url}/admin/dlq/${dlq}/messages`);
    return status === 200 && body.deadLetters.length === 1;
  });
  s.smtp.rejecting = false;
  const replay = await request(`${s.herald.url}/admin/dlq/${dlq}/replay`, 'POST', {});
  assert.equal(replay.body.replayed, 1);
  await s.smtp.waitFor([refused.request_id]);
  assert.equal(s.smtp.count(refused.request_id), 1);
  assert.equal(s.sms.count(refused.request_id), 1);
});
