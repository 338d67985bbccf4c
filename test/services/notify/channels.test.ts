import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EmailChannel, smtpFailure } from '../../../services/notify/channels/email.ts';
import { emailSubject, emailText, messageIdOf, smsText } from '../../../services/notify/channels/message.ts';
import { idempotencyKey, SmsChannel } from '../../../services/notify/channels/sms.ts';
import type { Notification } from '../../../services/notify/topics.ts';
import { HeraldError } from '../../../src/errors.ts';
import { SmsGatewayPeer, SmtpPeer } from './peers.ts';

const note = (over: Partial<Notification> = {}): Notification => ({
  request_id: 'req-1',
  transaction_id: 'txn-42',
  message_body: 'Paid 120.50 EUR to ACME — merci',
  email: 'ana@example.com',
  phone: '+14155550123',
  customer_id: 'cust-7',
  ...over,
});

test('message texts name the transaction and carry the body', () => {
  const n = note();
  assert.equal(emailSubject(n), 'Transaction Successful: txn-42');
  assert.match(emailText(n), /Transaction txn-42 was successful/);
  assert.match(emailText(n), /Paid 120.50 EUR to ACME — merci/);
  assert.equal(smsText(n), 'Transaction Successful: txn-42. Paid 120.50 EUR to ACME — merci');
  assert.equal(messageIdOf('a'), messageIdOf('a'));
  assert.notEqual(messageIdOf('a'), messageIdOf('b'));
  assert.match(messageIdOf('weird <id> @ "x"'), /^<[0-9a-f]{40}@notify\.herald>$/);
});

test('email channel delivers over SMTP with subject, body, request id and a stable Message-ID', async (t) => {
  const smtp = new SmtpPeer();
  await smtp.start();
  t.after(() => smtp.stop());
  const channel = new EmailChannel({
    target: () => ({ host: '127.0.0.1', port: smtp.port, secure: false, timeoutMs: 5000 }),
    from: 'Herald <notify@herald.local>',
  });
  t.after(() => channel.close());
  await channel.send(note({ message_body: 'Ünïcödé body, long enough to be encoded '.repeat(4) }));
  assert.equal(smtp.count('req-1'), 1);
  const [mail] = smtp.accepted;
  assert.equal(mail.to, 'ana@example.com');
  assert.equal(mail.subject, 'Transaction Successful: txn-42');
  assert.match(mail.text, /Ünïcödé body, long enough to be encoded/);
  assert.match(mail.text, /Reference: req-1/);
});

test('email channel: a server that is down is retriable, a refused mailbox is not', async (t) => {
  const smtp = new SmtpPeer();
  await smtp.start();
  const port = smtp.port;
  const channel = new EmailChannel({
    target: () => ({ host: '127.0.0.1', port, secure: false, timeoutMs: 2000 }),
    from: 'notify@herald.local',
  });
  t.after(() => channel.close());
  const refused = await channel.send(note({ email: 'nobody@rejected.example' })).catch((e: unknown) => e);
  assert.ok(refused instanceof HeraldError);
  assert.equal(refused.code, 'HERALD_DESTINATION_FAILED');
  assert.equal(refused.retriable, false);
  assert.match(refused.message, /SMTP 550/);

  await smtp.stop();
  const down = await channel.send(note()).catch((e: unknown) => e);
  assert.ok(down instanceof HeraldError);
  assert.equal(down.retriable, true);

  await smtp.start(port);
  t.after(() => smtp.stop());
  await channel.send(note({ request_id: 'after-restart' }));
  assert.equal(smtp.count('after-restart'), 1);
});

test('smtpFailure: 4xx and socket errors retriable, 5xx permanent', () => {
  assert.equal(smtpFailure(Object.assign(new Error('busy'), { responseCode: 451 })).retriable, true);
  assert.equal(smtpFailure(Object.assign(new Error('no'), { responseCode: 554 })).retriable, false);
  assert.equal(smtpFailure(Object.assign(new Error('refused'), { code: 'ECONNECTION' })).retriable, true);
  assert.match(smtpFailure('odd').message, /email not sent \(error\): odd/);
});

test('sms channel posts JSON with an Idempotency-Key and classifies failures', async (t) => {
  const gateway = new SmsGatewayPeer();
  await gateway.start();
  t.after(() => gateway.stop());
  // Answers may take a while on a loaded machine (a first send once missed 300 ms in CI); only the hang times out.
  const channel = new SmsChannel({ url: () => gateway.url, timeoutMs: 5_000 });
  const impatient = new SmsChannel({ url: () => gateway.url, timeoutMs: 300 });

  await channel.send(note());
  assert.equal(gateway.count('req-1'), 1);
  assert.deepEqual(gateway.keys, ['req-1']);
  assert.equal(gateway.accepted[0].to, '+14155550123');
  assert.equal(gateway.accepted[0].text, 'Transaction Successful: txn-42. Paid 120.50 EUR to ACME — merci');

  gateway.mode = 'fail';
  const failed = await channel.send(note()).catch((e: unknown) => e);
  assert.ok(failed instanceof HeraldError);
  assert.equal(failed.code, 'HERALD_DESTINATION_FAILED');
  assert.equal(failed.retriable, true);
  assert.deepEqual(failed.details, { status: 503 });

  gateway.mode = 'hang';
  const hung = await impatient.send(note()).catch((e: unknown) => e);
  assert.ok(hung instanceof HeraldError);
  assert.equal(hung.code, 'HERALD_TIMEOUT');
  assert.equal(hung.retriable, true);

  const stop = new AbortController();
  const cancelled = channel.send(note(), stop.signal).catch((e: unknown) => e);
  stop.abort(new Error('shutting down'));
  const abandoned = (await cancelled) as HeraldError;
  assert.equal(abandoned.code, 'HERALD_DESTINATION_FAILED');
  assert.match(abandoned.message, /shutting down/);
});

test('sms channel sends a record whose request id no header can carry under a stable digest key', async (t) => {
  const gateway = new SmsGatewayPeer();
  await gateway.start();
  t.after(() => gateway.stop());
  const channel = new SmsChannel({ url: () => gateway.url, timeoutMs: 2000 });
  // Written before the produce API checked request ids: it must still be sent, and resends carry the same key.
  for (const request_id of ['party-\u{1F389}', 'line\r\nbreak', 'party-\u{1F389}']) await channel.send(note({ request_id }));
  assert.equal(gateway.keys.length, 3);
  assert.match(gateway.keys[0], /^sha256-[0-9a-f]{64}$/);
  assert.equal(gateway.keys[2], gateway.keys[0]);
  assert.notEqual(gateway.keys[1], gateway.keys[0]);
  assert.equal(idempotencyKey('req-1'), 'req-1');
});

test('sms channel: a request that cannot be made is a permanent failure, not 30 retries', async () => {
  const channel = new SmsChannel({ url: () => 'http://exa mple.test/sms', timeoutMs: 2000 });
  const refused = (await channel.send(note()).catch((e: unknown) => e)) as HeraldError;
  assert.equal(refused.code, 'HERALD_DESTINATION_FAILED');
  assert.equal(refused.retriable, false);
  assert.match(refused.message, /cannot be made/);
  // A URL the HTTP client will not take (not http or https) is refused for good too.
  const ftp = new SmsChannel({ url: () => 'ftp://127.0.0.1/sms', timeoutMs: 2000 });
  const unsupported = (await ftp.send(note()).catch((e: unknown) => e)) as HeraldError;
  await ftp.close();
  assert.equal(unsupported.retriable, false);
  assert.match(unsupported.message, /cannot be made.*protocol/);
});

test('sms channel: 4xx is permanent, 429 is not, an unreachable gateway is retriable', async (t) => {
  const { createServer } = await import('node:http');
  let status = 400;
  const server = createServer((_req, res) => res.writeHead(status).end('no')).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  t.after(() => server.close());
  const port = (server.address() as { port: number }).port;
  const channel = new SmsChannel({ url: async () => `http://127.0.0.1:${port}/`, timeoutMs: 2000 });
  const bad = (await channel.send(note()).catch((e: unknown) => e)) as HeraldError;
  assert.equal(bad.retriable, false);
  status = 429;
  const limited = (await channel.send(note()).catch((e: unknown) => e)) as HeraldError;
  assert.equal(limited.retriable, true);

  const nowhere = new SmsChannel({ url: () => 'http://127.0.0.1:1/', timeoutMs: 2000 });
  const down = (await nowhere.send(note()).catch((e: unknown) => e)) as HeraldError;
  assert.equal(down.code, 'HERALD_DESTINATION_FAILED');
  assert.equal(down.retriable, true);
  assert.match(down.message, /unreachable/);

  const never = new SmsChannel({ url: () => new Promise<string>(() => {}), timeoutMs: 100 });
  const waited = (await never.send(note()).catch((e: unknown) => e)) as HeraldError;
  assert.equal(waited.code, 'HERALD_TIMEOUT');
});
