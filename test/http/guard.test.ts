/** Local-only parts (sinks, mock destinations): this machine, or the admin token — never anyone on the network. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { deliveryService } from '../../services/delivery/index.ts';
import { notifyService } from '../../services/notify/index.ts';
import { createApp } from '../../src/http/app.ts';
import { localOnly } from '../../src/http/guard.ts';
import { createMetrics } from '../../src/metrics/registry.ts';
import { bootHerald } from '../support/boot.ts';
import { notification, produce } from '../services/notify/helpers.ts';

const REMOTE = '203.0.113.9';

function guarded(adminToken: string) {
  const app = createApp({ logger: pino({ level: 'silent' }), metrics: createMetrics(), bodyLimitBytes: 1000 });
  app.register(async (local) => {
    local.addHook('onRequest', localOnly({ host: '0.0.0.0', adminToken }));
    local.get('/sink', async () => ({ ok: true }));
  });
  return app;
}

describe('localOnly', () => {
  it('serves peers on this machine and refuses others with HERALD_FORBIDDEN', async () => {
    const app = guarded('');
    for (const remoteAddress of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
      assert.equal((await app.inject({ url: '/sink', remoteAddress })).statusCode, 200, remoteAddress);
    }
    const refused = await app.inject({ url: '/sink', remoteAddress: REMOTE });
    assert.equal(refused.statusCode, 403);
    assert.equal(refused.json().error.code, 'HERALD_FORBIDDEN');
    assert.match(refused.json().error.message, /\/sink is served only to this machine/);
  });

  it('serves others only with the admin bearer token', async () => {
    const app = guarded('s3cret-token');
    const headers = (value: string) => ({ authorization: `Bearer ${value}` });
    assert.equal((await app.inject({ url: '/sink', remoteAddress: REMOTE, headers: headers('s3cret-token') })).statusCode, 200);
    assert.equal((await app.inject({ url: '/sink', remoteAddress: REMOTE, headers: headers('wrong') })).statusCode, 403);
    assert.equal((await app.inject({ url: '/sink', remoteAddress: REMOTE })).statusCode, 403);
  });

  it("guards notify's sinks and delivery's mock destinations on a wildcard bind, while Herald's own calls go through", async (t) => {
    const herald = await bootHerald(t, { 'http.host': '0.0.0.0' }, [notifyService, deliveryService]);
    const paths: Array<[string, string, unknown?]> = [
      ['GET', '/notify/inbox'],
      ['POST', '/notify/sms-gateway', { to: '+14155550100', message: 'spoofed', request_id: 'r-1' }],
      ['GET', '/mock-destinations'],
      ['GET', '/mock-destinations/mock-mostly-ok/received'],
      ['POST', '/mock-destinations/mock-mostly-ok', { id: 'e-1', payload: {} }],
    ];
    for (const [method, url, payload] of paths) {
      const remote = await herald.inject({ method: method as 'GET', url, payload: payload as object, remoteAddress: REMOTE });
      assert.equal(remote.statusCode, 403, `${method} ${url} from ${REMOTE}`);
      const local = await herald.inject({ method: method as 'GET', url, payload: payload as object, remoteAddress: '127.0.0.1' });
      assert.notEqual(local.statusCode, 403, `${method} ${url} from 127.0.0.1`);
    }
    // The local SMS channel reaches its gateway through the wildcard bind: a produced SMS arrives.
    const produced = await produce(herald.url, notification('transactions', { request_id: 'guard-1' }));
    assert.equal(produced.status, 201, JSON.stringify(produced.body));
    for (let i = 0; i < 200; i++) {
      const inbox = (await (await fetch(`${herald.url}/notify/inbox?request_id=guard-1`)).json()) as { sms: { messages: unknown[] } };
      if (inbox.sms.messages.length === 1) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.fail('the SMS never reached the local gateway');
  });
});
