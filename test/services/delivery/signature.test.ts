import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { sign, verify } from '../../../services/delivery/signature.ts';

describe('delivery signatures', () => {
  const body = Buffer.from('{"id":"1"}');
  const now = Date.parse('2030-01-01T00:00:00Z');

  it('signs "<t>.<body>" with HMAC-SHA256', () => {
    const header = sign('secret', body, now);
    const t = Math.floor(now / 1000);
    const expected = createHmac('sha256', 'secret').update(`${t}.{"id":"1"}`).digest('hex');
    assert.equal(header, `t=${t},v1=${expected}`);
  });

  it('verifies its own signatures and refuses tampering, other secrets and stale times', () => {
    const header = sign('secret', body, now);
    assert.ok(verify('secret', body, header, now));
    assert.ok(!verify('other', body, header, now));
    assert.ok(!verify('secret', Buffer.from('{"id":"2"}'), header, now));
    assert.ok(!verify('secret', body, header, now + 600_000));
    assert.ok(!verify('secret', body, 'garbage', now));
    assert.ok(!verify('secret', body, header.replace(/v1=../, 'v1=zz'), now));
  });
});
