import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { type Http1Outcome, Http1Pool, type Http1PoolOptions, InvalidRequest } from '../../../services/delivery/posting/http1-pool.ts';
import { MalformedResponse, ResponseReader } from '../../../services/delivery/posting/http1-response.ts';

/** Feeds `text` to a reader in pieces of the given sizes (the rest in one), returning what it answered. */
function read(text: string, sizes: number[] = [], keep = 200) {
  const reader = new ResponseReader(keep);
  const bytes = Buffer.from(text, 'latin1');
  let at = 0;
  for (const size of [...sizes, bytes.length]) {
    const answer = reader.push(bytes.subarray(at, Math.min(bytes.length, at + size)));
    at = Math.min(bytes.length, at + size);
    if (answer !== undefined) return { answer, reader, consumedAll: at === bytes.length };
    if (at === bytes.length) return { answer: undefined, reader, consumedAll: true };
  }
  return { answer: undefined, reader, consumedAll: true };
}

describe('HTTP/1.1 response reader', () => {
  it('reads a Content-Length response split at every byte, keeping the body only for a status outside 2xx', () => {
    const ok = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello';
    for (let split = 1; split < ok.length; split++) {
      const { answer } = read(ok, [split]);
      assert.deepEqual(answer, { status: 200, retryAfter: null, body: undefined, reusable: true }, `split at ${split}`);
    }
    const bytewise = read(ok, Array(ok.length).fill(1)).answer;
    assert.deepEqual(bytewise, { status: 200, retryAfter: null, body: undefined, reusable: true });
    const refused = read('HTTP/1.1 503 Busy\r\nretry-after: 7\r\nRetry-After: 9\r\ncontent-length: 4\r\n\r\nbusy').answer;
    assert.equal(refused?.status, 503);
    assert.equal(refused?.retryAfter, '7', 'the first Retry-After');
    assert.equal(refused?.body?.toString(), 'busy');
  });

  it('reads chunked bodies (extensions, trailers), keeping at most the limit', () => {
    const chunked =
      'HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\n' +
      '4;ext=1\r\nabcd\r\n' +
      'A\r\n0123456789\r\n' +
      '0\r\nx-trailer: 1\r\n\r\n';
    for (const sizes of [[], [1, 1, 1, 1], [50, 3, 7, 2], Array(chunked.length).fill(1)]) {
      const { answer } = read(chunked, sizes, 8);
      assert.equal(answer?.status, 500, JSON.stringify(sizes));
      assert.equal(answer?.body?.toString(), 'abcd0123');
      assert.equal(answer?.reusable, true);
    }
  });

  it('skips interim responses, and reads bodiless statuses without waiting for a body', () => {
    const interim = read('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n');
    assert.deepEqual(interim.answer, { status: 204, retryAfter: null, body: undefined, reusable: true });
    assert.equal(read('HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n').answer?.status, 304);
  });

  it('reads a body framed by the connection end, and says when the connection cannot carry another request', () => {
    const untilClose = new ResponseReader(200);
    assert.equal(untilClose.push(Buffer.from('HTTP/1.1 502 Bad\r\n\r\nupstream ')), undefined);
    assert.equal(untilClose.push(Buffer.from('down')), undefined);
    assert.deepEqual(untilClose.end(), { status: 502, retryAfter: null, body: Buffer.from('upstream down'), reusable: false });
    assert.equal(read('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n').answer?.reusable, false);
    assert.equal(read('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n').answer?.reusable, false);
    assert.equal(read('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n').answer?.reusable, true);
    assert.equal(read('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200').answer?.reusable, false, 'bytes after it');
  });

  it('refuses malformed responses, and a connection that ends inside one', () => {
    for (const text of [
      'HTTP/2 200 OK\r\n\r\n',
      'HTTP/1.1 20 OK\r\n\r\n',
      'HTTP/1.1 200 OK\r\nno colon here\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nabc',
      'HTTP/1.1 101 Switching Protocols\r\n\r\n',
      `HTTP/1.1 200 OK\r\nx: ${'y'.repeat(70_000)}`,
    ]) {
      assert.throws(() => read(text), MalformedResponse, JSON.stringify(text.slice(0, 60)));
    }
    const cut = new ResponseReader(200);
    cut.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'));
    assert.throws(() => cut.end(), MalformedResponse);
    assert.throws(() => new ResponseReader(200).end(), MalformedResponse);
  });

  it('survives random bytes and random cuts of valid responses: an answer or a MalformedResponse, nothing else', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff) / 0x7fffffff);
    const valid = [
      'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc',
      'HTTP/1.1 500 X\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
    ];
    for (let i = 0; i < 2_000; i++) {
      const base = Buffer.from(valid[i % valid.length], 'latin1');
      const bytes = Buffer.from(base);
      for (let m = 0; m < 3; m++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      const reader = new ResponseReader(16);
      try {
        reader.push(bytes.subarray(0, Math.floor(random() * bytes.length)));
        reader.push(bytes.subarray(Math.floor(random() * bytes.length)));
      } catch (err) {
        assert.ok(err instanceof MalformedResponse, String(err));
      }
    }
  });
});

/** A server whose connections and requests the test can see. */
async function server(t: TestContext, handler: http.RequestListener) {
  const s = http.createServer({ keepAliveTimeout: 10_000 }, handler);
  const sockets = new Set<net.Socket>();
  s.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  t.after(() => {
    s.closeAllConnections();
    s.close();
  });
  return { port: (s.address() as net.AddressInfo).port, sockets };
}

function pool(t: TestContext, port: number, options: Partial<Http1PoolOptions> = {}) {
  const p = new Http1Pool({ protocol: 'http:', hostname: '127.0.0.1', port, maxSockets: 2, keepAlive: true, keepBodyBytes: 200, ...options });
  t.after(() => p.close());
  return p;
}

const post = (p: Http1Pool, headers: Record<string, string> = {}, body = Buffer.from('{}'), path = '/hook') =>
  new Promise<Http1Outcome>((resolve) => p.post(path, headers, body, resolve));

describe('HTTP/1.1 pool', { timeout: 20_000 }, () => {
  it('keeps at most maxSockets connections, reuses them, and queues requests in order', async (t) => {
    const order: string[] = [];
    const { port, sockets } = await server(t, (req, res) => {
      order.push(req.url!);
      setTimeout(() => res.writeHead(200, { 'content-length': '2' }).end('ok'), 5);
    });
    const p = pool(t, port);
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => post(p, {}, Buffer.from('{}'), `/r${i}`)));
    for (const answer of answers) assert.equal('response' in answer && answer.response.status, 200);
    assert.equal(sockets.size, 2, 'two connections, kept open');
    assert.deepEqual(order.slice(0, 2).sort(), ['/r0', '/r1'], 'the first two went out at once; the rest waited');
    assert.deepEqual([...order].sort(), Array.from({ length: 10 }, (_, i) => `/r${i}`).sort());
    await post(p);
    assert.equal(sockets.size, 2, 'reused');
  });

  it('writes the host, the length and the headers given; refuses headers that would change the framing', async (t) => {
    const seen: http.IncomingHttpHeaders[] = [];
    const { port } = await server(t, (req, res) => {
      seen.push(req.headers);
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    const p = pool(t, port);
    await post(p, { 'X-Custom': 'a b', 'idempotency-key': 'k' }, Buffer.from('12345'));
    assert.equal(seen[0].host, `127.0.0.1:${port}`);
    assert.equal(seen[0]['content-length'], '5');
    assert.equal(seen[0]['x-custom'], 'a b');
    await post(p, { Host: 'example.test' });
    assert.equal(seen[1].host, 'example.test');
    const refused: Record<string, string>[] = [{ 'bad name': 'x' }, { x: 'a\nb' }, { x: 'é€' }, { 'Transfer-Encoding': 'chunked' }, { connection: 'upgrade' }];
    for (const headers of refused) {
      assert.throws(() => p.post('/hook', headers, Buffer.alloc(0), () => {}), InvalidRequest, JSON.stringify(headers));
    }
    assert.equal(seen.length, 2, 'nothing sent for a refused request');
  });

  it('sends large bodies whole, and reads a large chunked answer', async (t) => {
    const { port } = await server(t, (req, res) => {
      let length = 0;
      req.on('data', (c: Buffer) => (length += c.length));
      req.on('end', () => {
        res.writeHead(400);
        res.write('x'.repeat(50_000));
        res.end(`length=${length}`);
      });
    });
    const p = pool(t, port);
    const answer = await post(p, {}, Buffer.alloc(300_000, 0x61));
    assert.ok('response' in answer);
    assert.equal(answer.response.status, 400);
    assert.equal(answer.response.body?.length, 200);
  });

  it('reports a refused connection, a reset mid-answer and a malformed answer as failures, and recovers', async (t) => {
    const refused = await post(pool(t, 1));
    assert.ok('failure' in refused && /ECONNREFUSED/.test(refused.failure), JSON.stringify(refused));
    let mode: 'reset' | 'garbage' | 'ok' = 'reset';
    const raw = net.createServer((socket) => {
      socket.on('data', () => {
        if (mode === 'reset') socket.destroy();
        else if (mode === 'garbage') socket.write('SMTP ready\r\n\r\n');
        else socket.write('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n');
      });
    });
    raw.listen(0, '127.0.0.1');
    await once(raw, 'listening');
    t.after(() => raw.close());
    const p = pool(t, (raw.address() as net.AddressInfo).port);
    const reset = await post(p);
    assert.ok('failure' in reset, JSON.stringify(reset));
    mode = 'garbage';
    const garbage = await post(p);
    assert.ok('failure' in garbage && /malformed/.test(garbage.failure), JSON.stringify(garbage));
    mode = 'ok';
    const ok = await post(p);
    assert.ok('response' in ok && ok.response.status === 200);
  });

  it('replaces a kept-alive connection the server closed while it was idle', async (t) => {
    const { port, sockets } = await server(t, (_req, res) => res.writeHead(200, { 'content-length': '0' }).end());
    const p = pool(t, port, { maxSockets: 1 });
    await post(p);
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const again = await post(p);
    assert.ok('response' in again && again.response.status === 200, JSON.stringify(again));
  });

  it('cancels: a waiting request is never sent, a sent one closes its connection; neither is answered', async (t) => {
    let arrived = 0;
    const { port, sockets } = await server(t, () => {
      arrived++;
    });
    const p = pool(t, port, { maxSockets: 1 });
    const answers: unknown[] = [];
    const first = p.post('/a', {}, Buffer.from('{}'), (o) => answers.push(o));
    const second = p.post('/b', {}, Buffer.from('{}'), (o) => answers.push(o));
    second();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(arrived, 1);
    assert.equal(sockets.size, 1);
    first();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(sockets.size, 0, 'its connection was closed');
    assert.equal(arrived, 1, 'the cancelled waiting request was not sent');
    assert.deepEqual(answers, []);
  });

  it('without keep-alive asks for and makes a new connection per request', async (t) => {
    const connections: string[] = [];
    const { port } = await server(t, (req, res) => {
      connections.push(`${req.socket.remotePort}:${req.headers.connection}`);
      res.writeHead(200, { 'content-length': '0' }).end();
    });
    const p = pool(t, port, { keepAlive: false });
    await post(p);
    await post(p);
    assert.equal(connections.length, 2);
    assert.ok(connections.every((c) => c.endsWith(':close')));
    assert.notEqual(connections[0].split(':')[0], connections[1].split(':')[0]);
  });

  it('speaks TLS to an https destination, and refuses a certificate it cannot verify', async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'herald-tls-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
        '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
    } catch {
      t.skip('openssl is not available to make a certificate');
      return;
    }
    const s = https.createServer({ key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem')) }, (_req, res) =>
      res.writeHead(202, { 'content-length': '0' }).end(),
    );
    s.listen(0, '127.0.0.1');
    await once(s, 'listening');
    t.after(() => {
      s.closeAllConnections();
      s.close();
    });
    const port = (s.address() as net.AddressInfo).port;
    const untrusted = await post(pool(t, port, { protocol: 'https:', hostname: 'localhost' }));
    assert.ok('failure' in untrusted && /SELF_SIGNED|certificate/i.test(untrusted.failure), JSON.stringify(untrusted));
    // The same exchange with certificate checks off (trust is the process's): the TLS conversation itself works.
    const trusted = new Http1Pool({ protocol: 'https:', hostname: 'localhost', port, maxSockets: 1, keepAlive: true, keepBodyBytes: 0 });
    t.after(() => trusted.close());
    const saved = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    try {
      const ok = await post(trusted);
      assert.ok('response' in ok && ok.response.status === 202, JSON.stringify(ok));
    } finally {
      if (saved === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = saved;
    }
  });
});
