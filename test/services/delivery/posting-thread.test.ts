import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import pino from 'pino';
import { PostingThread } from '../../../services/delivery/posting/posting-thread.ts';

const logger = pino({ level: 'silent' });
const STOPPING = { failure: 'connection', message: 'aborted: Herald is stopping' };

/** A server answering each request with `status(body)`; `hold` leaves requests unanswered. */
async function server(t: TestContext, status: (body: string) => number | 'hold') {
  const bodies: string[] = [];
  const s = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('latin1');
      bodies.push(body);
      const answer = status(body);
      if (answer !== 'hold') res.writeHead(answer).end();
    });
  });
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  t.after(() => {
    s.closeAllConnections();
    s.close();
  });
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}/hook`, bodies };
}

async function started(t: TestContext, script?: URL) {
  const thread = new PostingThread(logger, script);
  await thread.start();
  t.after(() => thread.stop());
  return thread;
}

describe('posting thread', { timeout: 20_000 }, () => {
  it('posts through a worker thread, each destination over its own pool, bytes unchanged', async (t) => {
    const ok = await server(t, () => 200);
    const refusing = await server(t, () => 422);
    const thread = await started(t);
    const a = thread.poster({ maxSockets: 4, timeoutMs: 2_000, keepAlive: true });
    const b = thread.poster({ maxSockets: 1, timeoutMs: 2_000, keepAlive: false });
    const body = Buffer.from([0x7b, 0xe9, 0x00, 0xff, 0x7d]);
    const results = await Promise.all([
      ...Array.from({ length: 20 }, () => a.post(ok.url, body, {})),
      b.post(refusing.url, body, {}),
    ]);
    assert.deepEqual(results.slice(0, 20), Array(20).fill({ status: 200, retryAfter: null }));
    assert.deepEqual(results[20], { status: 422, retryAfter: null });
    assert.ok(ok.bodies.every((received) => received === body.toString('latin1')));
  });

  it('resolves a request at once when its signal aborts, and every request when it stops', async (t) => {
    const held = await server(t, () => 'hold');
    const thread = new PostingThread(logger);
    await thread.start();
    const poster = thread.poster({ maxSockets: 2, timeoutMs: 60_000, keepAlive: true });
    const controller = new AbortController();
    const aborted = poster.post(held.url, Buffer.from('a'), {}, controller.signal);
    const other = poster.post(held.url, Buffer.from('b'), {});
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    assert.deepEqual(await aborted, STOPPING);
    assert.deepEqual(await poster.post(held.url, Buffer.from('c'), {}, controller.signal), STOPPING);
    await thread.stop();
    assert.deepEqual(await other, STOPPING);
    assert.deepEqual(await poster.post(held.url, Buffer.from('d'), {}), STOPPING, 'a request after stop');
  });

  it('turns a thread that dies into connection failures, then starts another', async (t) => {
    const ok = await server(t, () => 200);
    const thread = await started(t, new URL('./fixtures/crashing-thread.ts', import.meta.url));
    const poster = thread.poster({ maxSockets: 2, timeoutMs: 2_000, keepAlive: true });
    const crashed = await poster.post(`${ok.url}?crash`, Buffer.from('x'), {});
    assert.deepEqual(crashed, { failure: 'connection', message: 'the posting thread stopped (exit code 3)' });
    assert.deepEqual(await poster.post(ok.url, Buffer.from('y'), {}), { status: 200, retryAfter: null });
  });
});
