import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { AdminApi } from '../../../src/admin/api.ts';
import { registerAdminRoutes } from '../../../src/http/admin/routes.ts';
import { isLoopback } from '../../../src/kit/loopback.ts';
import { createApp } from '../../../src/http/app.ts';
import { createMetrics } from '../../../src/metrics/registry.ts';

describe('admin guard', () => {
  it('knows loopback addresses', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '::ffff:127.0.0.1']) assert.ok(isLoopback(host), host);
    for (const host of ['0.0.0.0', '::', '192.168.1.4', 'example.com']) assert.ok(!isLoopback(host), host);
  });

  it('refuses admin on a non-loopback bind without a token', async () => {
    const app = createApp({ logger: pino({ level: 'silent' }), metrics: createMetrics(), bodyLimitBytes: 1000 });
    registerAdminRoutes(app, { admin: {} as AdminApi, host: '0.0.0.0', token: '' });
    const res = await app.inject('/admin/topics');
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().error.code, 'HERALD_FORBIDDEN');
  });
});
