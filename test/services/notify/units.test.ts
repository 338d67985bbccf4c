import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkSubscriptions, configSchema } from '../../../services/notify/config.ts';
import { SinkInbox } from '../../../services/notify/inbox.ts';
import { decodeWords, parseMail } from '../../../services/notify/sinks/mime.ts';
import { groupOf, notifyTopics } from '../../../services/notify/topics.ts';
import { loadConfig } from '../../../src/config/load.ts';

test('parseMail unfolds headers, decodes encoded words and transfer encodings', () => {
  const qp = parseMail(
    Buffer.from(
      'Subject: =?UTF-8?Q?Caf=C3=A9?=\r\n =?UTF-8?B?IGF1IGxhaXQ=?=\r\nMessage-ID: <a@b>\r\n' +
        'Content-Transfer-Encoding: quoted-printable\r\n\r\nna=C3=AFve soft=\r\nbreak =3D ok\r\n',
    ),
  );
  assert.equal(qp.headers.get('subject'), 'Café au lait');
  assert.equal(qp.headers.get('message-id'), '<a@b>');
  assert.equal(qp.text, 'naïve softbreak = ok\n');

  const b64 = parseMail(
    Buffer.from(`Content-Transfer-Encoding: base64\r\n\r\n${Buffer.from('héllo').toString('base64')}\r\n`),
  );
  assert.equal(b64.text, 'héllo');

  const plain = parseMail(Buffer.from('X-A: 1\nX-A: 2\nbogus line\n\nline1\r\nline2'));
  assert.equal(plain.headers.get('x-a'), '1');
  assert.equal(plain.text, 'line1\nline2');
  assert.equal(parseMail(Buffer.from('Subject: only headers')).text, '');
  assert.equal(decodeWords('plain'), 'plain');
});

test('SinkInbox keeps one entry per key, counts duplicates and stays bounded', () => {
  const inbox = new SinkInbox(2);
  const entry = (key: string) => ({ key, request_id: key, to: 'x', text: 't' });
  assert.equal(inbox.add('sms', entry('a')), true);
  assert.equal(inbox.add('sms', entry('a')), false);
  inbox.add('sms', entry('b'));
  inbox.add('sms', entry('c'));
  const view = inbox.view('sms');
  assert.equal(view.received, 3);
  assert.equal(view.duplicates, 1);
  assert.deepEqual(
    view.messages.map((m) => m.key),
    ['b', 'c'],
  );
  assert.equal(inbox.view('email').received, 0);
  // Keys are remembered well past the listed entries, then forgotten oldest first.
  for (let i = 0; i < 300; i++) inbox.add('email', entry(`k${i}`));
  assert.deepEqual(
    inbox.view('email').messages.map((m) => m.key),
    ['k298', 'k299'],
  );
  assert.equal(inbox.add('email', entry('k299')), false);
  assert.equal(inbox.add('email', entry('k0')), true);
});

test('subscriptions: channels map to topic lists; anything else is refused', () => {
  assert.deepEqual(checkSubscriptions({ email: ['email'], sms: ['phone', 'phone'] }), {
    email: ['email'],
    sms: ['phone'],
  });
  assert.deepEqual(checkSubscriptions({ sms: ['t'] }), { email: [], sms: ['t'] });
  assert.equal(checkSubscriptions({ fax: ['t'] }), undefined);
  assert.equal(checkSubscriptions({ email: 'transactions' }), undefined);
  assert.equal(checkSubscriptions({ email: ['bad topic'] }), undefined);
  assert.equal(checkSubscriptions({ email: [] }), undefined);
  assert.equal(checkSubscriptions(['email']), undefined);
  assert.equal(checkSubscriptions(null), undefined);
});

test('the notify section loads from env: Team Paris layout is one variable away', () => {
  const config = loadConfig(configSchema, {
    env: { HERALD_SUBSCRIPTIONS: '{"email":["email"],"sms":["phone"]}', HERALD_SMTP__PORT: '2525' },
  });
  assert.deepEqual(config.subscriptions, { email: ['email'], sms: ['phone'] });
  assert.equal(config.smtp.port, 2525);
  assert.equal(config.retry.sms.maxAttempts, 30);
  assert.deepEqual(notifyTopics(config), ['email', 'phone']);
  assert.equal(groupOf(config, 'sms'), 'notify-sms');
  assert.deepEqual(notifyTopics(loadConfig(configSchema)), ['transactions']);
  assert.throws(() => loadConfig(configSchema, { env: { HERALD_SUBSCRIPTIONS: '{"email":' } }), /subscriptions/);
});
