import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load.ts';
import { platformSchema } from '../../src/config/schema.ts';
import { isSecretName, maskSecrets, maskText } from '../../src/kit/secrets.ts';

describe('secrets masking', () => {
  it('masks values under secret-bearing names, whatever their type', () => {
    const masked = maskSecrets({ user: 'a', password: 12345, headers: { Authorization: 'Bearer abcdef', 'X-Api-Key': 'k1' } });
    assert.deepEqual(masked, { user: 'a', password: '***', headers: { Authorization: '***', 'X-Api-Key': '***' } });
    assert.ok(isSecretName('adminToken'));
    assert.ok(!isSecretName('userId'));
    // Asked again (answers are remembered by name), the same answers.
    assert.ok(isSecretName('adminToken'));
    assert.ok(!isSecretName('userId'));
  });

  it('walks only own properties, copying an object only where something changed', () => {
    const inherited = Object.create({ password: 'from-the-prototype' }) as Record<string, unknown>;
    inherited.name = 'n';
    assert.equal(maskSecrets(inherited), inherited);
    const plain = { a: 1, nested: { url: '/x?b=1', list: ['Basically', 2] } };
    assert.equal(maskSecrets(plain), plain);
    assert.deepEqual(maskSecrets({ nested: { list: ['Basic abcdefgh'] } }), { nested: { list: ['Basic ***'] } });
  });

  it('masks URL passwords, secret query parameters and written-out credentials in text', () => {
    const text = maskText('postgres://u:hunter2@db/x https://h/p?token=zzz9 Bearer qwertyuiop');
    assert.ok(!/hunter2|zzz9|qwertyuiop/.test(text), text);
  });

  it('a configuration error never echoes a planted secret', () => {
    const env = {
      HERALD_HTTP__ADMIN_TOKEN: '{"not":"a string","token":"planted-secret-1"',
    };
    assert.throws(
      () => loadConfig(platformSchema, { env, flags: { 'http.port': 'planted-secret-2' } }),
      (err: Error) => {
        assert.ok(!err.message.includes('planted-secret-1'), err.message);
        return true;
      },
    );
  });
});
