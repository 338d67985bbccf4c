import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { isHeraldError } from '../../src/errors.ts';
import { createApp, type HttpTimeouts } from '../../src/http/app.ts';
import { HttpServer } from '../../src/http/server.ts';
import { createMetrics } from '../../src/metrics/registry.ts';

/** A started server with `/slow?ms=` (answers after ms; 0: never) and `POST /upload`. */
async function server(t: TestContext, graceMs: number, timeouts: Partial<HttpTimeouts> = {}) {
  const app = createApp({ logger: pino({ level: 'silent' }), metrics: createMetrics(), bodyLimitBytes: 1 << 20, timeouts });
  app.get<{ Querystring: { ms: string } }>('/slow', async (request) => {
    const ms = Number(request.query.ms);
    await (ms > 0 ? sleep(ms) : new Promise(() => {}));
    return { done: true };
  });
  app.post('/upload', async () => ({ uploaded: true }));
  const http = new HttpServer(app, { port: 0, host: '127.0.0.1', shutdownGraceMs: graceMs });
  await http.start();
  t.after(() => http.stop(1000).catch(() => {}));
  const { port } = new URL(http.url);
  return { http, port: Number(port) };
}

/** A raw connection; `text()` is everything received so far, `closed` resolves when the server ends it. */
async function connect(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let received = '';
  socket.on('data', (chunk) => (received += chunk));
  socket.on('error', () => {});
  const closed = once(socket, 'close').then(() => true);
  return { socket, text: () => received, closed };
}

/** Starts a POST whose body never completes: the headers and one byte of a 100-byte body. */
async function trickle(port: number) {
  const connection = await connect(port);
  connection.socket.write('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{');
  return connection;
}

const within = <T>(work: Promise<T>, ms: number) =>
  Promise.race([work, sleep(ms).then(() => assert.fail(`not within ${ms} ms`))]);

describe('HTTP server shutdown', () => {
  it('cuts a client still sending its body after the grace, and stops long before its budget', async (t) => {
    const { http, port } = await server(t, 200);
    const slow = await trickle(port);
    const idle = await connect(port);
    const started = Date.now();
    await http.stop(20_000);
    assert.ok(Date.now() - started < 10_000, `stopped after ${Date.now() - started} ms`);
    assert.equal(await within(slow.closed, 1000), true);
    assert.equal(await within(idle.closed, 1000), true);
  });

  it('lets a request being handled finish and answer, then closes its connection', async (t) => {
    const { http, port } = await server(t, 100);
    const busy = await connect(port);
    busy.socket.write('GET /slow?ms=800 HTTP/1.1\r\nHost: x\r\n\r\n');
    await sleep(100);
    await http.stop(20_000);
    await within(busy.closed, 1000);
    assert.match(busy.text(), /^HTTP\/1\.1 200/);
    assert.match(busy.text(), /connection: close/i);
    assert.match(busy.text(), /"done":true/);
  });

  it('cuts requests still running at the end of its budget and says so with HERALD_TIMEOUT', async (t) => {
    const { http, port } = await server(t, 100);
    const stuck = await connect(port);
    stuck.socket.write('GET /slow?ms=0 HTTP/1.1\r\nHost: x\r\n\r\n');
    await sleep(100);
    const started = Date.now();
    await assert.rejects(http.stop(700), (err) => isHeraldError(err, 'HERALD_TIMEOUT') && /1 HTTP request/.test(err.message));
    assert.ok(Date.now() - started < 5_000);
    assert.equal(await within(stuck.closed, 1000), true);
  });

  it('signals long-running handlers to wrap up when it begins to stop', async (t) => {
    const { http } = await server(t, 100);
    assert.equal(http.stopping.aborted, false);
    await http.stop(5_000);
    assert.equal(http.stopping.aborted, true);
    assert.ok(isHeraldError(http.stopping.reason, 'HERALD_SHUTTING_DOWN'));
  });
});

describe('HTTP timeouts', () => {
  it('answers 408 with the error envelope and cuts a body that does not arrive within the request timeout', async (t) => {
    const { port } = await server(t, 100, { requestMs: 500, headersMs: 400 });
    const slow = await trickle(port);
    assert.equal(await within(slow.closed, 10_000), true);
    assert.match(slow.text(), /^HTTP\/1\.1 408/);
    assert.match(slow.text(), /"code":"HERALD_REQUEST_TIMEOUT"/);
  });

  it('cuts a client whose headers do not arrive within the headers timeout', async (t) => {
    const { port } = await server(t, 100, { requestMs: 5_000, headersMs: 400 });
    const slow = await connect(port);
    slow.socket.write('GET /slow?ms=1 HTTP/1.1\r\nHost: x\r\n');
    assert.equal(await within(slow.closed, 10_000), true);
    assert.match(slow.text(), /^HTTP\/1\.1 408/);
  });
});

describe('HTTP server: where it listens', () => {
  it('a taken port is one coded error naming the address', async (t) => {
    const { port } = await server(t, 100);
    const app = createApp({ logger: pino({ level: 'silent' }), metrics: createMetrics(), bodyLimitBytes: 1 << 20 });
    const second = new HttpServer(app, { port, host: '127.0.0.1', shutdownGraceMs: 0 });
    await assert.rejects(second.start(), (err) => {
      assert.ok(isHeraldError(err, 'HERALD_ADDRESS_IN_USE'));
      assert.match(err.message, new RegExp(`^127\\.0\\.0\\.1:${port} is in use`));
      return true;
    });
    await app.close();
  });
});
