/**
 * notify on the embedded broker, booted in this process, against a real SMTP server and a real HTTP SMS gateway on
 * loopback.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { notifyService } from '../../../services/notify/index.ts';
import { partitionForKey } from '../../../src/broker/partitioner.ts';
import { bootHerald, request } from '../../support/boot.ts';
import { eventually, notification, peerFlags, produce, produceAll, topicSize } from './helpers.ts';
import { startPeers } from './peers.ts';

test('produce: key → murmur2 partition, no key → spread, partition wins and keeps the key; both channels deliver', async (t) => {
  const { smtp, sms } = await startPeers(t);
  const herald = await bootHerald(t, { ...peerFlags(smtp, sms), 'notify.partitions': '4' }, [notifyService]);

  const keyed = await produce(herald.url, notification('transactions', { key: 'customer-7' }));
  assert.equal(keyed.status, 201);
  assert.equal(keyed.body.topic, 'transactions');
  assert.equal(keyed.body.partition, partitionForKey(Buffer.from('customer-7'), 4));

  const pinned = await produce(herald.url, notification('transactions', { key: 'customer-7', partition: 3 }));
  assert.equal(pinned.status, 201);
  assert.equal(pinned.body.partition, 3);
  const [stored] = await herald.broker.admin.read(
    { topic: 'transactions', partition: 3, offset: pinned.body.offset },
    1,
  );
  assert.equal(stored.key?.toString(), 'customer-7');
  assert.equal(stored.headers['request-id'], pinned.body.request_id);

  const spread = new Set<number>();
  const ids = [keyed.body.request_id, pinned.body.request_id];
  for (let i = 0; i < 8; i++) {
    const { status, body } = await produce(herald.url, notification('transactions'));
    assert.equal(status, 201);
    spread.add(body.partition);
    ids.push(body.request_id);
  }
  assert.ok(spread.size > 1, `records without a key all went to partition ${[...spread]}`);

  const outOfRange = await produce(herald.url, notification('transactions', { partition: 4 }));
  assert.equal(outOfRange.status, 400);
  assert.equal(outOfRange.body.error.details[0].field, 'partition');

  await smtp.waitFor(ids);
  await sms.waitFor(ids);
  assert.deepEqual(smtp.duplicates(), []);
  assert.deepEqual(sms.duplicates(), []);
  const mail = smtp.accepted.find((m) => m.requestId === keyed.body.request_id)!;
  assert.match(mail.subject ?? '', /^Transaction Successful: txn-/);
  assert.equal(mail.to, 'customer@example.com');
  const text = sms.accepted.find((m) => m.requestId === keyed.body.request_id)!;
  assert.match(text.text, /^Transaction Successful: txn-.*Paid 42\.00 EUR/);
  assert.equal(text.to, '+14155550123');
  assert.ok(
    sms.keys.every((key) => ids.includes(key)),
    'every SMS carries its request id as Idempotency-Key',
  );
  // Real servers are configured: no local sinks, so no inbox.
  assert.equal((await request(`${herald.url}/notify/inbox`)).status, 404);
});

test('bad requests are refused field by field and write nothing', async (t) => {
  const { smtp, sms } = await startPeers(t);
  const herald = await bootHerald(t, { ...peerFlags(smtp, sms), 'notify.maxMessageBytes': '64' }, [notifyService]);
  const cases: [unknown, number, string][] = [
    [notification('transactions', { email: 'nope' }), 400, 'email'],
    [notification('transactions', { phone: '555-0123' }), 400, 'phone'],
    [notification('payments'), 400, 'topic_name'],
    [{ ...notification('transactions'), customer_id: undefined }, 400, 'customer_id'],
    [notification('transactions', { partition: 99 }), 400, 'partition'],
    [notification('transactions', { message_body: 'x'.repeat(65) }), 413, 'message_body'],
  ];
  for (const [body, status, field] of cases) {
    const answer = await produce(herald.url, body);
    assert.equal(answer.status, status, `${field}: ${JSON.stringify(answer.body)}`);
    assert.ok(
      (answer.body.error.details as { field: string }[]).some((d) => d.field === field),
      JSON.stringify(answer.body),
    );
  }
  assert.equal(await topicSize(herald.url, 'transactions'), 0);
});

test('one request id is sent once per channel, however often it is produced', async (t) => {
  const { smtp, sms } = await startPeers(t);
  const flags = peerFlags(smtp, sms);
  const herald = await bootHerald(t, flags, [notifyService]);
  const first = notification('transactions', { key: 'a' });
  // Same request id, different keys (so possibly different partitions), sent concurrently.
  const copies = ['a', 'b', 'c', 'd'].map((key) => ({ ...first, key }));
  const answers = await Promise.all(copies.map((body) => produce(herald.url, body)));
  assert.deepEqual(
    answers.map((a) => a.status),
    [201, 201, 201, 201],
  );
  const marker = notification('transactions', { key: 'a' });
  await produceAll(herald.url, [marker]);
  await smtp.waitFor([first.request_id, marker.request_id]);
  await sms.waitFor([first.request_id, marker.request_id]);
  // Every copy is done once the dedupe store has settled them; the consumer groups have no lag left.
  await eventually(async () => {
    for (const group of ['notify-email', 'notify-sms']) {
      const { body } = await request(`${herald.url}/admin/groups/${group}`);
      if (!body?.offsets || body.offsets.some((o: { lag: number }) => o.lag > 0)) return false;
    }
    return true;
  });
  assert.equal(smtp.count(first.request_id), 1);
  assert.equal(sms.count(first.request_id), 1);
});

test('a refused address is dead-lettered without blocking others, and is delivered once replayed', async (t) => {
  const { smtp, sms } = await startPeers(t);
  const herald = await bootHerald(t, peerFlags(smtp, sms), [notifyService]);
  const refused = notification('transactions', { email: 'ghost@rejected.example', key: 'k' });
  const after = notification('transactions', { key: 'k' });
  await produceAll(herald.url, [refused, after]);
  // Same key: the later record is delivered, so the refused one did not hold its key.
  await smtp.waitFor([after.request_id]);
  await sms.waitFor([refused.request_id, after.request_id]);

  const dlq = 'transactions.notify-email.dlq';
  const letters = await eventually(async () => {
    const { status, body } = await request(`${herald.url}/admin/dlq/${dlq}/messages`);
    return status === 200 && body.deadLetters.length === 1 ? body.deadLetters : undefined;
  });
  assert.equal(letters[0].group, 'notify-email');
  assert.equal(letters[0].error.code, 'HERALD_DESTINATION_FAILED');
  assert.match(letters[0].error.message, /SMTP 550/);
  assert.equal(letters[0].attempts, 1, 'a permanent refusal is not retried');
  assert.equal(JSON.parse(letters[0].value).request_id, refused.request_id);
  assert.equal(smtp.count(refused.request_id), 0);

  smtp.rejecting = false;
  const replay = await request(`${herald.url}/admin/dlq/${dlq}/replay`, 'POST', {});
  assert.equal(replay.status, 200);
  assert.equal(replay.body.replayed, 1);
  await smtp.waitFor([refused.request_id]);
  assert.equal(smtp.count(refused.request_id), 1);
  // The SMS group was not involved in the replay: its copy is still the only one.
  assert.equal(sms.count(refused.request_id), 1);
});

test('past the retry limit a message is dead-lettered, and replay delivers it once', async (t) => {
  const { smtp, sms } = await startPeers(t);
  const herald = await bootHerald(t, { ...peerFlags(smtp, sms), 'notify.retry.sms.maxAttempts': '3' }, [notifyService]);
  sms.mode = 'fail';
  const body = notification('transactions');
  await produceAll(herald.url, [body]);
  await smtp.waitFor([body.request_id]);
  const dlq = 'transactions.notify-sms.dlq';
  const [letter] = await eventually(async () => {
    const { status, body: list } = await request(`${herald.url}/admin/dlq/${dlq}/messages`);
    return status === 200 && list.deadLetters.length === 1 ? list.deadLetters : undefined;
  });
  assert.equal(letter.attempts, 3);
  assert.match(letter.error.message, /503/);
  sms.mode = 'ok';
  await request(`${herald.url}/admin/dlq/${dlq}/replay`, 'POST', {});
  await sms.waitFor([body.request_id]);
  assert.equal(sms.count(body.request_id), 1);
  assert.equal(smtp.count(body.request_id), 1);
});

for (const localSinks of ['in-process', 'servers']) {
  test(`without SMTP host or SMS URL, local sinks (${localSinks}) receive everything, refuse +999 numbers, and GET /notify/inbox shows it`, async (t) => {
    const herald = await bootHerald(t, localSinks === 'servers' ? { 'notify.localSinks': 'servers' } : {}, [notifyService]);
    const body = notification('transactions', { key: 'k' });
    await produceAll(herald.url, [body]);
    const inbox = await eventually(async () => {
      const { body: view } = await request(`${herald.url}/notify/inbox?request_id=${body.request_id}`);
      return view.email.messages.length === 1 && view.sms.messages.length === 1 ? view : undefined;
    });
    assert.equal(inbox.email.messages[0].to, 'customer@example.com');
    assert.equal(inbox.email.messages[0].subject, `Transaction Successful: ${body.transaction_id}`);
    assert.match(inbox.email.messages[0].text, new RegExp(body.message_body));
    assert.match(inbox.email.messages[0].key, /^<[0-9a-f]{40}@notify\.herald>$/);
    assert.equal(inbox.sms.messages[0].to, '+14155550123');
    assert.equal(inbox.sms.messages[0].key, body.request_id);
    assert.match(inbox.sms.messages[0].text, new RegExp(`^Transaction Successful: ${body.transaction_id}\\. `));
    const gateway = await request(`${herald.url}/notify/sms-gateway`, 'POST', {
      to: '+14155550123',
      message: 'again',
      request_id: body.request_id,
    });
    assert.deepEqual(gateway.body, { status: 'duplicate' });
    const { body: all } = await request(`${herald.url}/notify/inbox`);
    assert.equal(all.sms.duplicates, 1);

    // A +999 number is refused for good: the SMS is dead-lettered at once, the email still goes out.
    const refused = notification('transactions', { key: 'r', phone: '+99912345678' });
    await produceAll(herald.url, [refused]);
    const dlq = await eventually(async () => {
      const { body: topic } = await request(`${herald.url}/admin/topics/transactions.notify-sms.dlq`);
      const size = (topic?.partitions ?? []).reduce((n: number, p: { earliest: number; latest: number }) => n + p.latest - p.earliest, 0);
      return size === 1 ? size : undefined;
    });
    assert.equal(dlq, 1);
    const after = await eventually(async () => {
      const { body: view } = await request(`${herald.url}/notify/inbox?request_id=${refused.request_id}`);
      return view.email.messages.length === 1 ? view : undefined;
    });
    assert.equal(after.sms.messages.length, 0);
  });
}

test('Team Paris layout: topics email and phone, each feeding one channel', async (t) => {
  const { smtp, sms } = await startPeers(t);
  const herald = await bootHerald(
    t,
    { ...peerFlags(smtp, sms), 'notify.subscriptions': '{"email":["email"],"sms":["phone"]}' },
    [notifyService],
  );
  const toEmail = notification('email');
  const toPhone = notification('phone');
  await produceAll(herald.url, [toEmail, toPhone]);
  assert.equal((await produce(herald.url, notification('transactions'))).status, 400);
  await smtp.waitFor([toEmail.request_id]);
  await sms.waitFor([toPhone.request_id]);
  const marker = notification('email');
  await produceAll(herald.url, [marker]);
  await smtp.waitFor([marker.request_id]);
  assert.equal(smtp.count(toPhone.request_id), 0);
  assert.equal(sms.count(toEmail.request_id), 0);
});

test('roles: an API-only process runs no consumers; a consumers-only process has no produce route', async (t) => {
  const { smtp, sms } = await startPeers(t);
  const api = await bootHerald(t, { ...peerFlags(smtp, sms), 'notify.role': 'api' }, [notifyService]);
  await produceAll(api.url, [notification('transactions')]);
  assert.deepEqual(await api.broker.admin.listGroups(), []);
  assert.equal((await request(`${api.url}/notify/inbox`)).status, 404);

  const workers = await bootHerald(t, { ...peerFlags(smtp, sms), 'notify.role': 'consumers' }, [notifyService]);
  assert.equal((await produce(workers.url, notification('transactions'))).status, 404);
  assert.deepEqual((await workers.broker.admin.listGroups()).sort(), ['notify-email', 'notify-sms']);
});

test('with the broker gone the API answers 503 and acknowledges nothing', async (t) => {
  const { smtp, sms } = await startPeers(t);
  const herald = await bootHerald(t, { ...peerFlags(smtp, sms), 'notify.role': 'api' }, [notifyService]);
  await herald.broker.stop();
  const answer = await produce(herald.url, notification('transactions'));
  assert.equal(answer.status, 503);
  assert.match(answer.body.error.code, /^HERALD_BROKER_/);
});

test('with log.file set, the deliveries are logged to a file rotated by size', async (t) => {
  const { smtp, sms } = await startPeers(t);
  const dir = mkdtempSync(join(tmpdir(), 'herald-notify-logs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const herald = await bootHerald(
    t,
    { ...peerFlags(smtp, sms), 'log.level': 'info', 'log.file': join(dir, 'herald.log'), 'log.rotate.size': '4k' },
    [notifyService],
  );
  const ids = await produceAll(
    herald.url,
    Array.from({ length: 12 }, () => notification('transactions')),
  );
  await smtp.waitFor(ids);
  await sms.waitFor(ids);
  await herald.lifecycle.stop(5000);
  const files = readdirSync(dir).filter((f) => f.startsWith('herald.'));
  assert.ok(files.length > 1, `expected rotated files, got ${files}`);
  const lines = files.flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean));
  const sent = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'notification sent');
  for (const id of ids) {
    assert.deepEqual(
      sent
        .filter((l) => l.requestId === id)
        .map((l) => l.channel)
        .sort(),
      ['email', 'sms'],
    );
  }
});
