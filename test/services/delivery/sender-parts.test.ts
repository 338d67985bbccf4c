import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { classify } from '../../../services/delivery/classify.ts';
import { eventMeta } from '../../../services/delivery/event.ts';
import { DestinationClient } from '../../../services/delivery/posting/destination-client.ts';
import { RateLimiter } from '../../../services/delivery/rate.ts';

async function server(t: TestContext, handler: http.RequestListener) {
  const s = http.createServer(handler);
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  t.after(() => {
    s.closeAllConnections();
    s.close();
  });
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}/hook`;
}

describe('destination client', { timeout: 20_000 }, () => {
  it('reports the status, a short error body and Retry-After', async (t) => {
    const url = await server(t, (req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(429, { 'retry-after': '7' }).end('x'.repeat(1000)));
    });
    const client = new DestinationClient(2, 2_000);
    t.after(() => client.close());
    const attempt = await client.post(url, Buffer.from('{}'), { 'content-type': 'application/json' });
    assert.ok('status' in attempt);
    assert.equal(attempt.status, 429);
    assert.equal(attempt.retryAfter, '7');
    assert.equal(attempt.body?.length, 200);
  });

  it('sends the body and headers as given, credentials from the URL, and closes connections without keep-alive', async (t) => {
    const seen: { headers: http.IncomingHttpHeaders; body: string; url?: string }[] = [];
    const url = await server(t, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ headers: req.headers, body: Buffer.concat(chunks).toString('latin1'), url: req.url });
        res.writeHead(204).end();
      });
    });
    const withCredentials = url.replace('http://', 'http://user%40x:p%3Ass@');
    const client = new DestinationClient(2, 2_000, false);
    t.after(() => client.close());
    const body = Buffer.from([0x7b, 0xe9, 0x00, 0xff, 0x7d]);
    const attempt = await client.post(`${withCredentials}?a=1`, body, { 'idempotency-key': 'k-1' });
    assert.deepEqual(attempt, { status: 204, retryAfter: null });
    assert.equal(seen[0].body, body.toString('latin1'), 'the bytes arrived unchanged');
    assert.equal(seen[0].url, '/hook?a=1');
    assert.equal(seen[0].headers['idempotency-key'], 'k-1');
    assert.equal(seen[0].headers.authorization, `Basic ${Buffer.from('user@x:p:ss').toString('base64')}`);
    assert.equal(seen[0].headers.connection, 'close');
  });

  it('turns a hang into a timeout, a refused connection and an abort into connection failures', async (t) => {
    const url = await server(t, () => {});
    const client = new DestinationClient(2, 100);
    t.after(() => client.close());
    assert.equal(((await client.post(url, Buffer.from('{}'), {})) as { failure: string }).failure, 'timeout');
    const closed = 'http://127.0.0.1:1/hook';
    assert.equal(((await client.post(closed, Buffer.from('{}'), {})) as { failure: string }).failure, 'connection');
    const aborted = await client.post(url, Buffer.from('{}'), {}, AbortSignal.abort());
    assert.deepEqual(aborted, { failure: 'connection', message: 'aborted: Herald is stopping' });
  });

  it('stops a request in flight (the posting thread, by id): a connection failure, and its connection is closed', async (t) => {
    let arrived: () => void = () => {};
    const arrival = new Promise<void>((resolve) => (arrived = resolve));
    let socketClosed: Promise<unknown> = Promise.resolve();
    const url = await server(t, (req) => {
      socketClosed = once(req.socket, 'close');
      arrived();
    });
    const client = new DestinationClient(2, 10_000);
    t.after(() => client.close());
    const answers: unknown[] = [];
    const stop = client.start(url, Buffer.from('{}'), {}, (attempt) => answers.push(attempt));
    await arrival;
    stop();
    stop();
    assert.deepEqual(answers, [{ failure: 'connection', message: 'aborted: Herald is stopping' }], 'answered once');
    await socketClosed;
  });

  it('reports a header it cannot send as an invalid request, which is permanent, not a connection failure', async (t) => {
    let requests = 0;
    const url = await server(t, (_req, res) => {
      requests++;
      res.writeHead(204).end();
    });
    const client = new DestinationClient(2, 2_000);
    t.after(() => client.close());
    for (const value of ['a\u0000b', 'line\r\nX-Injected: 1']) {
      const attempt = await client.post(url, Buffer.from('{}'), { 'x-bad': value });
      assert.ok('failure' in attempt && attempt.failure === 'invalid', JSON.stringify(attempt));
      assert.equal(classify(attempt).kind, 'permanent');
    }
    assert.equal(requests, 0, 'nothing was sent');
  });
});

describe('rate limiter', () => {
  it('spaces reservations evenly', () => {
    const limiter = new RateLimiter(10);
    assert.deepEqual(
      [limiter.reserve(1000), limiter.reserve(1000), limiter.reserve(1000), limiter.reserve(1250)],
      [0, 100, 200, 50],
    );
  });
});

describe('event ids', () => {
  it('refuses, as undecodable, an event id that cannot be sent as the Idempotency-Key', () => {
    const record = (id: string) => ({ key: Buffer.from('u'), headers: { 'herald-event-id': id }, timestamp: 1 });
    assert.equal(eventMeta(record('0190-abc')).id, '0190-abc');
    for (const id of ['party-\u{1F389}', 'a\r\nb', 'nul\u0000', 'x'.repeat(257)]) {
      assert.throws(() => eventMeta(record(id)), { code: 'HERALD_DECODE_FAILED' }, JSON.stringify(id));
    }
  });
});
