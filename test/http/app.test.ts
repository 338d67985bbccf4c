import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { HeraldError } from '../../src/errors.ts';
import { createApp } from '../../src/http/app.ts';
import { createMetrics } from '../../src/metrics/registry.ts';

function app(readiness = {}, maxJsonDepth?: number) {
  const instance = createApp({
    logger: pino({ level: 'silent' }),
    metrics: createMetrics(),
    bodyLimitBytes: 200,
    readiness,
    maxJsonDepth,
  });
  instance.get<{ Params: { name: string } }>('/items/:name', async (request) => ({ name: request.params.name }));
  instance.post('/any', async (request) => ({ got: request.body }));
  instance.post(
    '/echo',
    {
      schema: {
        body: {
          type: 'object',
          required: ['name', 'count'],
          additionalProperties: false,
          properties: { name: { type: 'string', minLength: 1 }, count: { type: 'integer' } },
        },
        querystring: { type: 'object', properties: { n: { type: 'integer' } } },
      },
    },
    async (request) => ({ body: request.body, query: request.query }),
  );
  instance.get('/boom', async () => {
    throw new Error('secret detail');
  });
  instance.get('/missing', async () => {
    throw new HeraldError('HERALD_TOPIC_NOT_FOUND', 'topic x does not exist');
  });
  return instance;
}

describe('http app', () => {
  it('describes its routes in /openapi.json from their schemas, renders it on /docs and links both from /', async () => {
    const instance = app();
    instance.get('/things/:id', { schema: { params: { type: 'object', properties: { id: { type: 'string' } } } } }, async () => ({}));
    const doc = (await instance.inject('/openapi.json')).json();
    assert.equal(doc.openapi, '3.1.0');
    const echo = doc.paths['/echo'].post;
    assert.deepEqual(echo.requestBody.content['application/json'].schema.required, ['name', 'count']);
    assert.deepEqual(echo.parameters, [{ name: 'n', in: 'query', required: false, schema: { type: 'integer' } }]);
    assert.deepEqual(doc.paths['/things/{id}'].get.parameters[0], {
      name: 'id',
      in: 'path',
      required: true,
      schema: { type: 'string' },
    });
    assert.equal(doc.paths['/healthz'].get.summary, 'the process is alive', 'platform routes too, with their summary');
    assert.equal(doc.paths['/healthz'].head, undefined, 'no HEAD twins');
    const page = await instance.inject('/docs');
    assert.match(page.headers['content-type'] as string, /text\/html/);
    assert.match(page.body, /fetch\('\/openapi\.json'\)/);
    assert.doesNotMatch(page.body, /(src|href)="(https?:)?\/\//, 'nothing loaded from elsewhere');
    assert.equal((await instance.inject('/')).json().docs, '/docs');
  });

  it('answers /healthz', async () => {
    const res = await app().inject('/healthz');
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { status: 'ok' });
  });

  it('answers /readyz 200 when every check passes and 503 naming the failing ones', async () => {
    const ok = await app({ broker: async () => {} }).inject('/readyz');
    assert.equal(ok.statusCode, 200);
    const bad = await app({
      broker: async () => {
        throw new Error('connection refused');
      },
      services: async () => {},
    }).inject('/readyz');
    assert.equal(bad.statusCode, 503);
    assert.deepEqual(bad.json(), {
      status: 'not ready',
      checks: { broker: { ok: false, error: 'connection refused' }, services: { ok: true } },
    });
  });

  it('serves Prometheus metrics with process metrics and the request histogram', async () => {
    const instance = app();
    await instance.inject('/healthz');
    const res = await instance.inject('/metrics');
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, /^text\/plain/);
    assert.match(res.body, /^process_cpu_user_seconds_total /m);
    assert.match(res.body, /^nodejs_eventloop_lag_seconds /m);
    assert.match(
      res.body,
      /herald_http_request_duration_seconds_count\{method="GET",route="\/healthz",status="200"\} 1/,
    );
  });

  it('rejects invalid bodies with field-level details and keeps body strings strict', async () => {
    const res = await app().inject({ method: 'POST', url: '/echo', payload: { name: '', count: '3', extra: 1 } });
    assert.equal(res.statusCode, 400);
    const { error } = res.json();
    assert.equal(error.code, 'HERALD_VALIDATION_FAILED');
    const fields = error.details.map((d: { field: string }) => d.field).sort();
    assert.deepEqual(fields, ['count', 'extra', 'name']);
  });

  it('coerces query strings but not bodies', async () => {
    const res = await app().inject({ method: 'POST', url: '/echo?n=5', payload: { name: 'a', count: 3 } });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { body: { name: 'a', count: 3 }, query: { n: 5 } });
  });

  it('maps oversize bodies to 413, bad JSON to 400 and unknown routes to 404', async () => {
    const big = await app().inject({ method: 'POST', url: '/echo', payload: { name: 'x'.repeat(500), count: 1 } });
    assert.equal(big.statusCode, 413);
    assert.equal(big.json().error.code, 'HERALD_PAYLOAD_TOO_LARGE');
    const bad = await app().inject({
      method: 'POST',
      url: '/echo',
      payload: '{"name":',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, 'HERALD_VALIDATION_FAILED');
    const none = await app().inject('/nope?x=1');
    assert.equal(none.statusCode, 404);
    assert.deepEqual(none.json(), { error: { code: 'HERALD_ROUTE_NOT_FOUND', message: 'no route for GET /nope' } });
  });

  it('maps Herald errors by code and hides unknown errors behind HERALD_INTERNAL', async () => {
    const missing = await app().inject('/missing');
    assert.equal(missing.statusCode, 404);
    assert.deepEqual(missing.json(), { error: { code: 'HERALD_TOPIC_NOT_FOUND', message: 'topic x does not exist' } });
    const boom = await app().inject('/boom');
    assert.equal(boom.statusCode, 500);
    assert.equal(boom.json().error.code, 'HERALD_INTERNAL');
    assert.doesNotMatch(boom.body, /secret detail/);
  });

  it('echoes the caller correlation id, or makes one up', async () => {
    const given = await app().inject({ url: '/healthz', headers: { 'x-request-id': 'req-42' } });
    assert.equal(given.headers['x-request-id'], 'req-42');
    const made = await app().inject('/healthz');
    assert.match(made.headers['x-request-id'] as string, /^[0-9a-f-]{36}$/);
    // On the answers no route made too: a route that does not exist, a failing handler, a malformed URL.
    for (const url of ['/no-such-route', '/boom', '/items/%E0%A4%A']) {
      const answer = await app().inject({ url, headers: { 'x-request-id': 'req-43' } });
      assert.ok(answer.statusCode >= 400, url);
      assert.equal(answer.headers['x-request-id'], 'req-43', url);
    }
  });

  it('refuses JSON nested deeper than the limit with a coded 400, before anything walks it', async () => {
    const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
    const post = (payload: string, depth?: number) =>
      app({}, depth).inject({ method: 'POST', url: '/any', payload, headers: { 'content-type': 'application/json' } });
    const refused = await post(`{"a":${deep(10)}}`, 10);
    assert.equal(refused.statusCode, 400);
    assert.equal(refused.json().error.code, 'HERALD_VALIDATION_FAILED');
    assert.match(refused.json().error.message, /deeper than 10 levels/);
    assert.deepEqual(refused.json().error.details, [
      { field: 'body', message: 'must not nest objects and arrays deeper than 10 levels' },
    ]);
    assert.equal((await post(`{"a":${deep(9)}}`, 10)).statusCode, 200, 'exactly the limit is fine');
    const brackets = await post(JSON.stringify({ a: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[' }), 10);
    assert.equal(brackets.statusCode, 200, 'brackets inside strings do not count');
    const backslash = JSON.stringify({ a: '\\', b: [[1]] });
    assert.equal((await post(backslash, 3)).statusCode, 200, 'an escaped backslash does not escape the quote');
    assert.equal((await post(backslash, 2)).statusCode, 400, 'brackets after a string ending in a backslash count');
    // Fastify's own parser still runs: prototype poisoning is refused.
    assert.equal((await post('{"__proto__":{"x":1}}')).statusCode, 400);
  });

  it('answers 405 with Allow for a known path asked with another method, 415 for an unsupported body type', async () => {
    const wrong = await app().inject({ method: 'DELETE', url: '/items/x' });
    assert.equal(wrong.statusCode, 405);
    assert.equal(wrong.headers.allow, 'GET, HEAD');
    assert.equal(wrong.json().error.code, 'HERALD_METHOD_NOT_ALLOWED');
    const put = await app().inject({ method: 'PUT', url: '/echo' });
    assert.equal(put.statusCode, 405);
    assert.equal(put.headers.allow, 'POST');
    const xml = await app().inject({
      method: 'POST',
      url: '/echo',
      payload: '<a/>',
      headers: { 'content-type': 'application/xml' },
    });
    assert.equal(xml.statusCode, 415);
    assert.equal(xml.json().error.code, 'HERALD_UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers malformed URLs and over-long path parameters in the error envelope', async () => {
    const badUrl = await app().inject('/items/%E0%A4%A');
    assert.equal(badUrl.statusCode, 400);
    assert.equal(badUrl.json().error.code, 'HERALD_VALIDATION_FAILED');
    const topicName = 'a'.repeat(249);
    const long = await app().inject(`/items/${topicName}`);
    assert.equal(long.statusCode, 200, 'a parameter as long as a topic name may be is fine');
    const tooLong = await app().inject(`/items/${'a'.repeat(5000)}`);
    assert.equal(tooLong.statusCode, 414);
    assert.equal(tooLong.json().error.code, 'HERALD_URI_TOO_LONG');
  });

  it('masks credentials an error quotes, in its message and its details', async () => {
    const instance = app();
    instance.get('/leaky', async () => {
      throw new HeraldError('HERALD_INVALID_ARGUMENT', 'cannot reach https://ops:hunter2@mail.example.com/send', {
        details: { url: 'https://x.example?token=abc123', password: 'pw-1', headers: { Authorization: 'Bearer zzzz9' } },
      });
    });
    const res = await instance.inject('/leaky');
    assert.equal(res.statusCode, 400);
    for (const secret of ['hunter2', 'abc123', 'pw-1', 'zzzz9']) assert.ok(!res.body.includes(secret), `${secret} in ${res.body}`);
    assert.match(res.json().error.message, /https:\/\/ops:\*\*\*@mail\.example\.com/);
  });
});
